/**
 * The account's own public keys, checked on the device (threat model row 4). The server publishes the account's
 * sharing and signing public keys; people who share with the account encrypt to them, and the key fingerprint is read
 * from them. A server that published keys of its own would read what is shared, and the fingerprint would vouch for
 * its keys. So the public keys are derived here from the private keys, which only the master key unwraps, and the
 * published ones are accepted only when they are exactly those bytes.
 */
import { decodeBase64url } from './base64url.ts';
import { own } from './bytes.ts';
import { KEY_PAIR_ALGORITHMS, unwrapPrivateKeyBytes, type KeyPairPurpose } from './account.ts';
import { CofferCryptoError } from './errors.ts';

const subtle = globalThis.crypto.subtle;
const PURPOSES: readonly KeyPairPurpose[] = ['sharing', 'signing'];

/** Public keys as SPKI bytes, each shown to match the account's private key of its purpose. */
export type VerifiedPublicKeys = Record<KeyPairPurpose, Uint8Array>;

/** The private keys as the server returns them: wrapped under the master key, or missing. */
export type WrappedPrivateKeys = Record<KeyPairPurpose, string | null>;

/**
 * Returns the published keys once each is shown to be the public half of the account's private key. Throws
 * WRAPPED_KEY_INVALID when a private key is missing or does not unwrap for this account, and PUBLIC_KEY_MISMATCH when
 * a published key is missing, malformed or another key.
 */
export async function verifyPublishedKeys(
  masterKey: Uint8Array,
  userId: string,
  wrapped: WrappedPrivateKeys,
  published: Partial<Record<string, string>>,
): Promise<VerifiedPublicKeys> {
  const verified = {} as VerifiedPublicKeys;
  for (const purpose of PURPOSES) {
    const wrappedKey = wrapped[purpose];
    if (!wrappedKey) {
      throw new CofferCryptoError('WRAPPED_KEY_INVALID', `the server sent no wrapped ${purpose} private key`);
    }
    const derived = await derivePublicKey(await unwrapPrivateKeyBytes(masterKey, wrappedKey, userId, purpose), purpose);
    const shown = publishedBytes(published[purpose], purpose);
    if (!sameBytes(derived, shown)) {
      throw new CofferCryptoError(
        'PUBLIC_KEY_MISMATCH',
        `the ${purpose} public key the server publishes for this account is not the public half of its private key`,
      );
    }
    verified[purpose] = derived;
  }
  return verified;
}

/**
 * The SPKI of a private key's public half: the private key is imported as extractable only here, to read the point
 * (x, y) from its JWK; the public key is rebuilt from the point alone and exported as WebCrypto exports every
 * Coffer public key, so equal keys are equal bytes.
 */
async function derivePublicKey(pkcs8: Uint8Array, purpose: KeyPairPurpose): Promise<Uint8Array> {
  const algorithm = KEY_PAIR_ALGORITHMS[purpose];
  const { x, y } = await privateKeyPoint(pkcs8, purpose);
  const usages: KeyUsage[] = purpose === 'sharing' ? [] : ['verify'];
  const publicKey = await subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', x, y, ext: true },
    algorithm,
    true,
    usages,
  );
  return new Uint8Array(await subtle.exportKey('spki', publicKey));
}

async function privateKeyPoint(pkcs8: Uint8Array, purpose: KeyPairPurpose): Promise<{ x: string; y: string }> {
  const usages: KeyUsage[] = purpose === 'sharing' ? ['deriveBits'] : ['sign'];
  const jwk = await subtle
    .importKey('pkcs8', own(pkcs8), KEY_PAIR_ALGORITHMS[purpose], true, usages)
    .then((key) => subtle.exportKey('jwk', key))
    .catch(() => ({}) as JsonWebKey);
  if (jwk.x === undefined || jwk.y === undefined) {
    throw new CofferCryptoError('WRAPPED_KEY_INVALID', `the ${purpose} private key is not a P-256 key`);
  }
  return { x: jwk.x, y: jwk.y };
}

function publishedBytes(text: string | undefined, purpose: KeyPairPurpose): Uint8Array {
  if (typeof text !== 'string') {
    throw new CofferCryptoError(
      'PUBLIC_KEY_MISMATCH',
      `the server publishes no ${purpose} public key for this account`,
    );
  }
  try {
    return decodeBase64url(text);
  } catch {
    throw new CofferCryptoError(
      'PUBLIC_KEY_MISMATCH',
      `the ${purpose} public key the server publishes is not base64url`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
