import { CofferCryptoError } from './errors.ts';

/**
 * base64url (RFC 4648 section 5). Written out here because Node 20 lacks Uint8Array.fromBase64, and atob accepts the
 * standard alphabet too, which would let '+' and '/' through.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes with '=' padding, the form Fernet uses for keys and tokens. */
export function encodeBase64url(bytes: Uint8Array, { padding = true } = {}): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + (padding ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + (padding ? '=' : '');
  }
  return out;
}

/** Decodes base64url with or without padding; anything else (other characters, impossible lengths) is rejected. */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> {
  const unpadded = text.endsWith('==') ? text.slice(0, -2) : text.endsWith('=') ? text.slice(0, -1) : text;
  if (unpadded.length % 4 === 1 || (unpadded.length !== text.length && text.length % 4 !== 0)) {
    throw new CofferCryptoError('BAD_BASE64', `base64url text has an impossible length (${text.length} characters)`);
  }
  const out = new Uint8Array(Math.floor((unpadded.length * 3) / 4));
  let bits = 0;
  let buffered = 0;
  let o = 0;
  for (let i = 0; i < unpadded.length; i++) {
    const code = unpadded.charCodeAt(i);
    const value = code < 128 ? DECODE[code]! : -1;
    if (value < 0) {
      throw new CofferCryptoError(
        'BAD_BASE64',
        `base64url text is A-Z, a-z, 0-9, '-' and '_' (or '+' and '/'), got another character at position ${i}`,
      );
    }
    bits = ((bits << 6) | value) & 0xfff;
    buffered += 6;
    if (buffered >= 8) {
      buffered -= 8;
      out[o++] = (bits >> buffered) & 0xff;
    }
  }
  if ((bits & ((1 << buffered) - 1)) !== 0) {
    throw new CofferCryptoError('BAD_BASE64', 'base64url text has non-zero padding bits (it is not canonical)');
  }
  return out;
}
