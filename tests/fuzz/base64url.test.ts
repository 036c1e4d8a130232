/** base64url (docs/FORMAT.md, notation): one canonical text per byte string, and nothing else decodes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import { anyBytes, anyText, MANY, returnsOrRefuses, sameBytes } from './arbitraries.ts';

describe('base64url decoder, property-tested', () => {
  it('decodes whatever the encoder writes, padded or not, to the same bytes', () => {
    fc.assert(
      fc.property(anyBytes(), fc.boolean(), (bytes, padding) => {
        expect(sameBytes(decodeBase64url(encodeBase64url(bytes, { padding })), bytes)).toBe(true);
      }),
      MANY,
    );
  });

  it('either decodes any text or refuses it with BAD_BASE64, and what it decodes is the canonical form', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const bytes = (await returnsOrRefuses(() => decodeBase64url(text), ['BAD_BASE64'])) as Uint8Array | undefined;
        if (bytes) expect([encodeBase64url(bytes), encodeBase64url(bytes, { padding: false })]).toContain(text);
      }),
      MANY,
    );
  });
});
