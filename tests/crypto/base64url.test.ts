import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import { utf8 } from '../../shared/crypto/bytes.ts';

describe('base64url', () => {
  // RFC 4648 section 10.
  const rfc: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];

  it.each(rfc)('encodes %j as %j and back', (text, encoded) => {
    expect(encodeBase64url(utf8(text))).toBe(encoded);
    expect(decodeBase64url(encoded)).toEqual(utf8(text));
    expect(decodeBase64url(encoded.replace(/=+$/, ''))).toEqual(utf8(text));
  });

  it('uses the URL-safe alphabet', () => {
    expect(encodeBase64url(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('-_-_');
    expect(decodeBase64url('-_-_')).toEqual(Uint8Array.of(0xfb, 0xff, 0xbf));
  });

  it('round-trips every length up to 300', () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      expect(decodeBase64url(encodeBase64url(bytes))).toEqual(bytes);
      expect(decodeBase64url(encodeBase64url(bytes, { padding: false }))).toEqual(bytes);
    }
  });

  it.each(['Zm9v+g==', 'Zm9v/g==', '%%%%', 'Zm 9v', 'Z', 'Zm9vY', 'Zg=', 'Zm8==', 'Zh==', 'Zm9=', 'é'])(
    'rejects %j',
    (text) => {
      expect(() => decodeBase64url(text)).toThrowError(expect.objectContaining({ code: 'BAD_BASE64' }));
    },
  );
});
