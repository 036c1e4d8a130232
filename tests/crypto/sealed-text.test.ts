import { describe, expect, it } from 'vitest';
import { decodeBase64url, openText, SEALED_TEXT_PURPOSES, sealText } from '../../shared/crypto/index.ts';
import { fromHex } from '../../shared/crypto/bytes.ts';
import { wrapKey } from '../../shared/crypto/wrap.ts';
import vectors from '../vectors/coffer.json';
import { expectCode } from './assertions.ts';

describe('sealed-text vectors', () => {
  it.each(vectors.sealedText)('opens $name', async (vector) => {
    expect(await openText(decodeBase64url(vector.wrappingSecret), vector.sealed, vector)).toBe(vector.text);
  });

  it.each(vectors.sealedText)('seals $name to exactly the same token', async (vector) => {
    const sealed = await wrapKey(
      decodeBase64url(vector.wrappingSecret),
      new TextEncoder().encode(vector.text),
      vector,
      {
        iv: fromHex(vector.iv),
        timestamp: vector.timestamp,
      },
    );
    expect(sealed).toBe(vector.sealed);
  });

  it('never opens the contacts as another purpose or for another account', async () => {
    const [vector] = vectors.sealedText;
    const key = decodeBase64url(vector!.wrappingSecret);
    await expectCode(
      openText(key, vector!.sealed, { ...vector!, purpose: SEALED_TEXT_PURPOSES.passkeyLabel }),
      'WRAPPED_KEY_INVALID',
    );
    await expectCode(openText(key, vector!.sealed, { ...vector!, object: crypto.randomUUID() }), 'WRAPPED_KEY_INVALID');
    const other = crypto.getRandomValues(new Uint8Array(32));
    const binding = { purpose: SEALED_TEXT_PURPOSES.contacts, owner: 'a', object: 'a' };
    await expectCode(openText(key, await sealText(other, 'x', binding), binding), 'WRAPPED_KEY_INVALID');
  });

  it('never opens the accepted shares as the contacts, so the server cannot pass one document off as the other', async () => {
    const vector = vectors.sealedText.find((vector) => vector.purpose === SEALED_TEXT_PURPOSES.acceptedShares)!;
    const key = decodeBase64url(vector.wrappingSecret);
    expect(JSON.parse(await openText(key, vector.sealed, vector))).toMatchObject({
      version: 2,
      revision: 1,
      shares: [{}],
    });
    await expectCode(
      openText(key, vector.sealed, { ...vector, purpose: SEALED_TEXT_PURPOSES.contacts }),
      'WRAPPED_KEY_INVALID',
    );
  });
});
