/** HKDF-SHA256 (RFC 5869), extract and expand, through WebCrypto. */
import { own } from './bytes.ts';

const subtle = globalThis.crypto.subtle;

export async function importHkdfKey(ikm: Uint8Array): Promise<CryptoKey> {
  return subtle.importKey('raw', own(ikm), 'HKDF', false, ['deriveBits']);
}

export async function hkdf(
  ikm: CryptoKey,
  salt: Uint8Array,
  info: Uint8Array,
  length = 32,
): Promise<Uint8Array<ArrayBuffer>> {
  const bits = await subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: own(salt), info: own(info) },
    ikm,
    length * 8,
  );
  return new Uint8Array(bits);
}
