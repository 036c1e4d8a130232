import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  encryptTokenText,
  generateKey,
  importFernetKey,
  LABEL_WRAP,
  unwrapKey,
  wrapKey,
  type KeyBinding,
} from '../../shared/crypto/index.ts';
import { concatBytes, fromHex, u16, u8, utf8 } from '../../shared/crypto/bytes.ts';
import { hkdf, importHkdfKey } from '../../shared/crypto/hkdf.ts';
import vectors from '../vectors/coffer.json';
import { expectCode } from './assertions.ts';

const binding: KeyBinding = { purpose: 'file-key', owner: 'user-a', object: 'node-1' };

describe('wrapped-key vectors', () => {
  it.each(vectors.wrap)('unwraps $name', async (vector) => {
    const key = await unwrapKey(decodeBase64url(vector.wrappingSecret), vector.wrapped, vector);
    expect(encodeBase64url(key)).toBe(vector.key);
  });

  it.each(vectors.wrap)('wraps $name to exactly the same token', async (vector) => {
    const wrapped = await wrapKey(decodeBase64url(vector.wrappingSecret), decodeBase64url(vector.key), vector, {
      iv: fromHex(vector.iv),
      timestamp: vector.timestamp,
    });
    expect(wrapped).toBe(vector.wrapped);
  });
});

describe('key wrapping', () => {
  it('round-trips a key with its binding', async () => {
    const secret = generateKey();
    const key = generateKey();
    expect(await unwrapKey(secret, await wrapKey(secret, key, binding), binding)).toEqual(key);
  });

  const others: [string, KeyBinding][] = [
    ['another purpose', { ...binding, purpose: 'folder-key' }],
    ['another owner', { ...binding, owner: 'user-b' }],
    ['another object', { ...binding, object: 'node-2' }],
  ];
  it.each(others)('refuses a key wrapped for %s', async (_, other) => {
    const secret = generateKey();
    await expectCode(unwrapKey(secret, await wrapKey(secret, generateKey(), other), binding), 'WRAPPED_KEY_INVALID');
  });

  it('refuses every alteration of the token with the same error', async () => {
    const secret = generateKey();
    const wrapped = await wrapKey(secret, generateKey(), binding);
    const bytes = decodeBase64url(wrapped);
    for (let i = 0; i < bytes.length; i += 7) {
      const altered = bytes.slice();
      altered[i]! ^= 0x20;
      await expectCode(unwrapKey(secret, encodeBase64url(altered), binding), 'WRAPPED_KEY_INVALID');
    }
    await expectCode(unwrapKey(secret, wrapped.slice(0, -8), binding), 'WRAPPED_KEY_INVALID');
    await expectCode(unwrapKey(secret, 'not a token!', binding), 'WRAPPED_KEY_INVALID');
    await expectCode(unwrapKey(generateKey(), wrapped, binding), 'WRAPPED_KEY_INVALID');
  });

  it('refuses an authentic payload that is not well formed', async () => {
    const secret = generateKey();
    const wrapKeyBytes = await hkdf(await importHkdfKey(secret), new Uint8Array(0), utf8(LABEL_WRAP));
    const fernet = await importFernetKey(wrapKeyBytes);
    const field = (bytes: Uint8Array) => concatBytes(u16(bytes.length), bytes);
    const good = [
      field(utf8(binding.purpose)),
      field(utf8(binding.owner)),
      field(utf8(binding.object)),
      field(new Uint8Array(32)),
    ];
    expect(await unwrapKey(secret, await encryptTokenText(fernet, concatBytes(u8(1), ...good)), binding)).toEqual(
      new Uint8Array(32),
    );
    const malformed = [
      concatBytes(u8(2), ...good),
      concatBytes(u8(1), ...good, u8(0)),
      concatBytes(u8(1), ...good.slice(0, 3)),
      concatBytes(u8(1), ...good.slice(0, 3), u16(33), new Uint8Array(32)),
      concatBytes(u8(1), ...good.slice(0, 3), u16(0)),
      // A byte order mark before the purpose, owner or object: the binding is compared byte for byte.
      concatBytes(u8(1), field(utf8(`\ufeff${binding.purpose}`)), ...good.slice(1)),
      concatBytes(u8(1), good[0]!, field(utf8(`\ufeff${binding.owner}`)), ...good.slice(2)),
      concatBytes(u8(1), ...good.slice(0, 2), field(utf8(`\ufeff${binding.object}`)), good[3]!),
    ];
    for (const payload of malformed) {
      await expectCode(unwrapKey(secret, await encryptTokenText(fernet, payload), binding), 'WRAPPED_KEY_INVALID');
    }
  });

  it('refuses bad arguments', async () => {
    await expectCode(wrapKey(new Uint8Array(16), generateKey(), binding), 'BAD_KEY');
    await expectCode(wrapKey(generateKey(), generateKey(), { ...binding, purpose: 'File Key' }), 'BAD_ARGUMENT');
    await expectCode(wrapKey(generateKey(), new Uint8Array(0), binding), 'BAD_ARGUMENT');
    await expectCode(wrapKey(generateKey(), generateKey(), { ...binding, owner: '' }), 'BAD_ARGUMENT');
  });
});
