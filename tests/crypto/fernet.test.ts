import { describe, expect, it } from 'vitest';
import {
  decryptToken,
  decryptTokenText,
  encodeBase64url,
  encryptTokenInto,
  encryptTokenText,
  generateKey,
  importFernetKey,
  importFernetKeyText,
  tokenLength,
  type CryptoErrorCode,
} from '../../shared/crypto/index.ts';
import { utf8 } from '../../shared/crypto/bytes.ts';
import generate from '../vectors/fernet/generate.json';
import invalid from '../vectors/fernet/invalid.json';
import verify from '../vectors/fernet/verify.json';
import { expectCode } from './assertions.ts';

const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('Fernet specification vectors', () => {
  it.each(generate)('generates the token for $src', async (vector) => {
    const key = await importFernetKeyText(vector.secret);
    const token = await encryptTokenText(key, utf8(vector.src), {
      iv: Uint8Array.from(vector.iv),
      timestamp: seconds(vector.now),
    });
    expect(token).toBe(vector.token);
  });

  it.each(generate)('writes the token for $src in place, between other bytes', async (vector) => {
    const key = await importFernetKeyText(vector.secret);
    const plaintext = utf8(vector.src);
    const length = tokenLength(plaintext.length);
    const target = new Uint8Array(length + 10).fill(0xee);
    const written = await encryptTokenInto(key, plaintext, target, 7, {
      iv: Uint8Array.from(vector.iv),
      timestamp: seconds(vector.now),
    });
    expect(written).toBe(length);
    expect(encodeBase64url(target.subarray(7, 7 + length))).toBe(vector.token);
    expect([...target.subarray(0, 7), ...target.subarray(7 + length)]).toEqual(new Array(10).fill(0xee));
  });

  it('refuses to write a token past the end of its buffer', async () => {
    const key = await importFernetKey(generateKey());
    const target = new Uint8Array(tokenLength(16));
    await expectCode(encryptTokenInto(key, new Uint8Array(16), target, 1), 'BAD_ARGUMENT');
    await expectCode(encryptTokenInto(key, new Uint8Array(32), target, 0), 'BAD_ARGUMENT');
    expect(target.every((byte) => byte === 0)).toBe(true);
  });

  it.each(verify)('verifies the token for $src', async (vector) => {
    const key = await importFernetKeyText(vector.secret);
    const plaintext = await decryptTokenText(key, vector.token, {
      ttlSeconds: vector.ttl_sec,
      now: seconds(vector.now),
    });
    expect(plaintext).toEqual(utf8(vector.src));
  });

  // Each invalid vector with the error it must produce; the spec lists exactly these eight.
  const codes: Record<string, CryptoErrorCode> = {
    'incorrect mac': 'TOKEN_INVALID',
    'too short': 'TOKEN_MALFORMED',
    'invalid base64': 'BAD_BASE64',
    'payload size not multiple of block size': 'TOKEN_MALFORMED',
    'payload padding error': 'TOKEN_INVALID',
    'far-future TS (unacceptable clock skew)': 'TOKEN_FROM_FUTURE',
    'expired TTL': 'TOKEN_EXPIRED',
    'incorrect IV (causes padding error)': 'TOKEN_INVALID',
  };

  it('has all eight invalid vectors', () => {
    expect(invalid.map((vector) => vector.desc).sort()).toEqual(Object.keys(codes).sort());
  });

  it.each(invalid)('rejects: $desc', async (vector) => {
    const key = await importFernetKeyText(vector.secret);
    await expectCode(
      decryptTokenText(key, vector.token, { ttlSeconds: vector.ttl_sec, now: seconds(vector.now) }),
      codes[vector.desc]!,
    );
  });
});

describe('Fernet tokens', () => {
  it('round-trips plaintexts of every length around the block size', async () => {
    const key = await importFernetKey(generateKey());
    for (let length = 0; length <= 80; length++) {
      const plaintext = globalThis.crypto.getRandomValues(new Uint8Array(length));
      const token = await encryptTokenText(key, plaintext);
      expect(await decryptTokenText(key, token)).toEqual(plaintext);
    }
  });

  it('predicts token lengths', async () => {
    const key = await importFernetKey(generateKey());
    for (const length of [0, 1, 15, 16, 17, 1000]) {
      const token = await encryptTokenText(key, new Uint8Array(length));
      expect(Math.ceil(token.length / 4) * 3 - (token.match(/=/g)?.length ?? 0)).toBe(tokenLength(length));
    }
  });

  it('refuses a token under another key with the same error as a forged one', async () => {
    const token = await encryptTokenText(await importFernetKey(generateKey()), utf8('secret'));
    await expectCode(decryptTokenText(await importFernetKey(generateKey()), token), 'TOKEN_INVALID');
  });

  it('checks the timestamp only when a TTL is given', async () => {
    const key = await importFernetKey(generateKey());
    const old = await encryptTokenText(key, utf8('x'), { timestamp: 1000 });
    expect(await decryptTokenText(key, old)).toEqual(utf8('x'));
    await expectCode(decryptTokenText(key, old, { ttlSeconds: 60, now: 1061 }), 'TOKEN_EXPIRED');
    expect(await decryptTokenText(key, old, { ttlSeconds: 60, now: 1060 })).toEqual(utf8('x'));
    await expectCode(decryptTokenText(key, old, { ttlSeconds: 60, now: 939 }), 'TOKEN_FROM_FUTURE');
    expect(await decryptTokenText(key, old, { ttlSeconds: 60, now: 940 })).toEqual(utf8('x'));
  });

  it('rejects a wrong version byte before looking further', async () => {
    const key = await importFernetKey(generateKey());
    const token = new Uint8Array(tokenLength(0));
    token[0] = 0x81;
    await expectCode(decryptToken(key, token), 'TOKEN_MALFORMED');
  });

  it('rejects keys that are not 32 bytes', async () => {
    await expectCode(importFernetKey(new Uint8Array(16)), 'BAD_KEY');
    await expectCode(importFernetKeyText('c2hvcnQ='), 'BAD_KEY');
    await expectCode(importFernetKeyText('not base64!'), 'BAD_BASE64');
  });
});
