/**
 * Fernet tokens (docs/FORMAT.md section 2), the envelope of every chunk, wrap, metadata record and manifest: a token
 * decrypts to what was encrypted, and any other bytes or text, including a valid token altered in any way, are refused
 * with TOKEN_MALFORMED or TOKEN_INVALID (threat model rows 1, 7 and 8: no malleability).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeKeyText,
  decryptToken,
  decryptTokenText,
  encryptToken,
  generateKey,
  importFernetKey,
  MIN_TOKEN_BYTES,
  type FernetKey,
} from '../../shared/crypto/index.ts';
import { anyBytes, anyText, FEW, MANY, mutationOf, refuses, returnsOrRefuses, sameBytes } from './arbitraries.ts';

const TOKEN_CODES = ['TOKEN_MALFORMED', 'TOKEN_INVALID'] as const;
let key: FernetKey;
let token: Uint8Array;

beforeAll(async () => {
  key = await importFernetKey(generateKey());
  token = await encryptToken(key, new Uint8Array(40).fill(7));
});

describe('Fernet tokens, property-tested', () => {
  it('decrypt what they encrypt, for any plaintext and timestamp', async () => {
    await fc.assert(
      fc.asyncProperty(anyBytes(), fc.nat({ max: 2 ** 40 }), async (plaintext, timestamp) => {
        const decrypted = await decryptToken(key, await encryptToken(key, plaintext, { timestamp }));
        expect(sameBytes(decrypted, plaintext)).toBe(true);
      }),
      FEW,
    );
  });

  it('refuse any bytes with TOKEN_MALFORMED or TOKEN_INVALID', async () => {
    const shaped = fc
      .nat({ max: 8 })
      .chain((blocks) =>
        fc.uint8Array({ minLength: MIN_TOKEN_BYTES + 16 * blocks, maxLength: MIN_TOKEN_BYTES + 16 * blocks }),
      )
      .map((bytes) => Uint8Array.of(0x80, ...bytes.subarray(1)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes(), shaped), async (bytes) => {
        await refuses(() => decryptToken(key, bytes), TOKEN_CODES);
      }),
      MANY,
    );
  });

  it('refuse any text with BAD_BASE64, TOKEN_MALFORMED or TOKEN_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await refuses(() => decryptTokenText(key, text), ['BAD_BASE64', ...TOKEN_CODES]);
      }),
      MANY,
    );
  });

  it('refuse a valid token with any byte changed, cut short, extended or spliced', async () => {
    await fc.assert(
      fc.asyncProperty(mutationOf(token), async (altered) => {
        await refuses(() => decryptToken(key, altered), TOKEN_CODES);
      }),
      MANY,
    );
  });

  it('read a key from text only when it is 32 bytes of base64url', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        await returnsOrRefuses(() => decodeKeyText(text), ['BAD_BASE64', 'BAD_KEY']);
      }),
      MANY,
    );
  });
});
