/**
 * The account's key hierarchy, on the client (docs/ARCHITECTURE.md, "Accounts"): a random master key, wrapped
 *  - by each passkey's PRF output, through HKDF with a per-credential salt;
 *  - by a passphrase, through Argon2id (PBKDF2-SHA256 for older wraps: passphrase-kdf.ts);
 *  - by the recovery key, through HKDF with a salt;
 * and the sharing (ECDH P-256) and signing (ECDSA P-256) private keys, wrapped by the master key. Every wrap binds
 * the account id and what wraps it, so a server cannot move a wrap to another account or another way in.
 */
import { own, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { generateKey } from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { LABEL_PRF_INPUT, LABEL_PRF_WRAP, LABEL_RECOVERY_VERIFIER, LABEL_RECOVERY_WRAP } from './labels.ts';
import { KEY_PURPOSES, SEALED_TEXT_PURPOSES } from './purposes.ts';
import { openText, sealText } from './sealed-text.ts';
import { unwrapKey, wrapKey, type KeyBinding } from './wrap.ts';

const subtle = globalThis.crypto.subtle;

export const RECOVERY_KEY_BYTES = 32;

export type MasterKeyWay = { passkey: string } | 'passphrase' | 'recovery';

function masterKeyBinding(userId: string, way: MasterKeyWay): KeyBinding {
  const object = typeof way === 'string' ? way : `passkey:${way.passkey}`;
  return { purpose: KEY_PURPOSES.masterKey, owner: userId, object };
}

export function generateMasterKey(): Uint8Array {
  return generateKey();
}

export function wrapMasterKey(secret: Uint8Array, masterKey: Uint8Array, userId: string, way: MasterKeyWay) {
  return wrapKey(secret, masterKey, masterKeyBinding(userId, way));
}

/** Fails with WRAPPED_KEY_INVALID if the wrap was made for another account or another way in, or was altered. */
export function unwrapMasterKey(secret: Uint8Array, wrapped: string, userId: string, way: MasterKeyWay) {
  return unwrapKey(secret, wrapped, masterKeyBinding(userId, way));
}

/**
 * What every passkey is asked to evaluate its PRF on. One constant input: at sign-in the browser does not yet know
 * which credential the user will pick; the per-credential salt comes after, in HKDF.
 */
export async function prfInput(): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle.digest('SHA-256', own(utf8(LABEL_PRF_INPUT))));
}

export async function prfWrappingSecret(prfOutput: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  if (prfOutput.length !== 32) {
    throw new CofferCryptoError('BAD_ARGUMENT', `a PRF output is 32 bytes, got ${prfOutput.length}`);
  }
  return hkdf(await importHkdfKey(prfOutput), salt, utf8(LABEL_PRF_WRAP));
}

/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function generateRecoveryKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(RECOVERY_KEY_BYTES));
}

/** 32 bytes as 52 characters in groups of four: "7K3M-...". */
export function formatRecoveryCode(key: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join('-');
}

/** Reads a recovery code as people type it: any case, spaces or dashes, O for 0 and I or L for 1. */
export function parseRecoveryCode(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const expected = Math.ceil((RECOVERY_KEY_BYTES * 8) / 5);
  if (clean.length !== expected || [...clean].some((char) => !CROCKFORD.includes(char))) {
    throw new CofferCryptoError(
      'BAD_RECOVERY_CODE',
      `a recovery code is ${expected} letters and digits (dashes and spaces optional); this one has ${clean.length}`,
    );
  }
  const out = new Uint8Array(RECOVERY_KEY_BYTES);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const char of clean) {
    value = ((value << 5) | CROCKFORD.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8 && o < out.length) {
      out[o++] = (value >> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

export async function recoveryWrappingSecret(recoveryKey: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  return hkdf(await importHkdfKey(recoveryKey), salt, utf8(LABEL_RECOVERY_WRAP));
}

/**
 * What the server keeps (hashed) to recognise the recovery key. Derived with no salt, because a user who lost every
 * passkey has only the code; a one-way function of a 256-bit key, so it reveals nothing that opens the wrap.
 */
export async function recoveryVerifier(recoveryKey: Uint8Array): Promise<Uint8Array> {
  return hkdf(await importHkdfKey(recoveryKey), new Uint8Array(0), utf8(LABEL_RECOVERY_VERIFIER));
}

export interface AccountKeyPairs {
  sharing: CryptoKeyPair;
  signing: CryptoKeyPair;
}

export async function generateAccountKeyPairs(): Promise<AccountKeyPairs> {
  const sharing = (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
    'deriveBits',
  ])) as CryptoKeyPair;
  const signing = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  return { sharing, signing };
}

export async function exportPublicKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('spki', key));
}

export type KeyPairPurpose = 'sharing' | 'signing';

const PRIVATE_KEY_PURPOSES = {
  sharing: KEY_PURPOSES.sharingPrivateKey,
  signing: KEY_PURPOSES.signingPrivateKey,
} as const;

function privateKeyBinding(userId: string, purpose: KeyPairPurpose): KeyBinding {
  return { purpose: PRIVATE_KEY_PURPOSES[purpose], owner: userId, object: userId };
}

export async function wrapPrivateKey(
  masterKey: Uint8Array,
  privateKey: CryptoKey,
  userId: string,
  purpose: KeyPairPurpose,
): Promise<string> {
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', privateKey));
  return wrapKey(masterKey, pkcs8, privateKeyBinding(userId, purpose));
}

/** The private key's PKCS#8 bytes; fails with WRAPPED_KEY_INVALID if the wrap is not this account's key of this purpose. */
export function unwrapPrivateKeyBytes(
  masterKey: Uint8Array,
  wrapped: string,
  userId: string,
  purpose: KeyPairPurpose,
): Promise<Uint8Array> {
  return unwrapKey(masterKey, wrapped, privateKeyBinding(userId, purpose));
}

export const KEY_PAIR_ALGORITHMS: Record<KeyPairPurpose, EcKeyImportParams> = {
  sharing: { name: 'ECDH', namedCurve: 'P-256' },
  signing: { name: 'ECDSA', namedCurve: 'P-256' },
};

/** The private key; WRAPPED_KEY_INVALID when the wrap is not this account's key of this purpose, or holds no P-256 key. */
export async function unwrapPrivateKey(
  masterKey: Uint8Array,
  wrapped: string,
  userId: string,
  purpose: KeyPairPurpose,
): Promise<CryptoKey> {
  const pkcs8 = await unwrapPrivateKeyBytes(masterKey, wrapped, userId, purpose);
  const usages: KeyUsage[] = purpose === 'sharing' ? ['deriveBits'] : ['sign'];
  try {
    return await subtle.importKey('pkcs8', own(pkcs8), KEY_PAIR_ALGORITHMS[purpose], false, usages);
  } catch {
    throw new CofferCryptoError('WRAPPED_KEY_INVALID', `the ${purpose} private key is not a P-256 key`);
  }
}

/** Longest passkey name, in characters. */
export const MAX_PASSKEY_LABEL = 64;

/**
 * A passkey's name, encrypted under the master key and bound to the account and the credential: the server stores it
 * and cannot read it, nor show one passkey's name on another (threat model row 9).
 */
export async function encryptPasskeyLabel(
  masterKey: Uint8Array,
  userId: string,
  credentialId: string,
  label: string,
): Promise<string> {
  const text = label.trim();
  if (text.length === 0 || text.length > MAX_PASSKEY_LABEL) {
    throw new CofferCryptoError('BAD_ARGUMENT', `a passkey name is 1 to ${MAX_PASSKEY_LABEL} characters`);
  }
  return sealText(masterKey, text, passkeyLabelBinding(userId, credentialId));
}

export function decryptPasskeyLabel(
  masterKey: Uint8Array,
  userId: string,
  credentialId: string,
  encrypted: string,
): Promise<string> {
  return openText(masterKey, encrypted, passkeyLabelBinding(userId, credentialId));
}

function passkeyLabelBinding(userId: string, credentialId: string): KeyBinding {
  return { purpose: SEALED_TEXT_PURPOSES.passkeyLabel, owner: userId, object: credentialId };
}
