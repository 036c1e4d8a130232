/** The P-256 key pairs of the sharing vectors, given as JWKs (private: d, x, y) so that any implementation can load them. */
import { encodeBase64url } from '../../shared/crypto/index.ts';

export interface VectorJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
}

export type KeyAlgorithm = 'ECDH' | 'ECDSA';

export async function keyPairFromJwk(jwk: VectorJwk, algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params = { name: algorithm, namedCurve: 'P-256' };
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.importKey('jwk', jwk, params, true, algorithm === 'ECDH' ? ['deriveBits'] : ['sign']),
    crypto.subtle.importKey('jwk', publicJwk, params, true, algorithm === 'ECDH' ? [] : ['verify']),
  ]);
  return { privateKey, publicKey };
}

/** The public key's SPKI bytes, as WebCrypto exports every Coffer public key. */
export async function publicKeySpki(jwk: VectorJwk): Promise<Uint8Array> {
  const { publicKey } = await keyPairFromJwk(jwk, 'ECDH');
  return new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
}

export async function publicKeyText(jwk: VectorJwk): Promise<string> {
  return encodeBase64url(await publicKeySpki(jwk));
}
