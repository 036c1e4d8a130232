/**
 * A key sealed to someone's sharing public key (docs/FORMAT.md section 4.2): a fresh, ephemeral ECDH P-256 key pair
 * per seal, HKDF over the shared secret with both public keys as the salt, and the result used as the wrapping secret
 * of an ordinary wrap (wrap.ts). The sender keeps nothing that opens the seal afterwards, and a seal made to one public
 * key, or with one ephemeral key, never opens with another. Grants (grant.ts) and request-link uploads
 * (request-seal.ts) both seal this way, each under its own label.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u16, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import type { EncryptTokenOptions } from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { unwrapKey, wrapKey, type KeyBinding } from './wrap.ts';

const subtle = globalThis.crypto.subtle;
const ECDH_P256: EcKeyImportParams = { name: 'ECDH', namedCurve: 'P-256' };

export interface Seal {
  /** The ephemeral public key, SPKI, base64url. */
  ephemeralPublicKey: string;
  /** The wrap (docs/FORMAT.md section 4), under the secret the ECDH agreement derives. */
  wrapped: string;
}

export interface SealOptions extends EncryptTokenOptions {
  /** The ephemeral key pair; a fresh one when absent. Only test vectors pass one. */
  ephemeral?: CryptoKeyPair;
}

export async function sealToPublicKey(
  label: string,
  recipientPublicKey: Uint8Array,
  key: Uint8Array,
  binding: KeyBinding,
  options: SealOptions = {},
): Promise<Seal> {
  const recipient = await importSharingPublicKey(recipientPublicKey);
  const ephemeral = options.ephemeral ?? ((await subtle.generateKey(ECDH_P256, true, ['deriveBits'])) as CryptoKeyPair);
  const ephemeralPublicKey = new Uint8Array(await subtle.exportKey('spki', ephemeral.publicKey));
  const secret = await sealingSecret(label, ephemeral.privateKey, recipient, ephemeralPublicKey, recipientPublicKey);
  return {
    ephemeralPublicKey: encodeBase64url(ephemeralPublicKey),
    wrapped: await wrapKey(secret, key, binding, options),
  };
}

/**
 * The key, or WRAPPED_KEY_INVALID for every way the seal fails to open: another recipient, another ephemeral key,
 * another binding, or an altered wrap. An ephemeral public key that is not a P-256 point in SPKI, base64url, is BAD_KEY.
 */
export async function openSeal(
  label: string,
  recipientPrivateKey: CryptoKey,
  recipientPublicKey: Uint8Array,
  seal: Seal,
  binding: KeyBinding,
): Promise<Uint8Array> {
  let ephemeralPublicKey: Uint8Array;
  try {
    ephemeralPublicKey = decodeBase64url(seal.ephemeralPublicKey);
  } catch {
    throw new CofferCryptoError('BAD_KEY', 'the ephemeral public key is not base64url');
  }
  const ephemeral = await importSharingPublicKey(ephemeralPublicKey);
  const secret = await sealingSecret(label, recipientPrivateKey, ephemeral, ephemeralPublicKey, recipientPublicKey);
  return unwrapKey(secret, seal.wrapped, binding);
}

/** A sharing public key from its SPKI bytes; WebCrypto refuses a point that is not on the curve. */
export async function importSharingPublicKey(spki: Uint8Array): Promise<CryptoKey> {
  try {
    return await subtle.importKey('spki', own(spki), ECDH_P256, true, []);
  } catch {
    throw new CofferCryptoError('BAD_KEY', `not a P-256 public key in SPKI form (${spki.length} bytes)`);
  }
}

/** HKDF(ECDH(private, public), salt = both public keys, each length-prefixed, ephemeral first; info = label). */
async function sealingSecret(
  label: string,
  privateKey: CryptoKey,
  publicKey: CryptoKey,
  ephemeralPublicKey: Uint8Array,
  recipientPublicKey: Uint8Array,
): Promise<Uint8Array> {
  const shared = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256));
  const salt = concatBytes(
    u16(ephemeralPublicKey.length),
    ephemeralPublicKey,
    u16(recipientPublicKey.length),
    recipientPublicKey,
  );
  return hkdf(await importHkdfKey(shared), salt, utf8(label));
}
