/**
 * The account's key set (docs/FORMAT.md section 4.8): a statement, signed with the account's signing key, of the
 * account's public keys and of every way into it (each passkey with a digest of its wrap of the master key, the
 * passphrase wrap, the recovery wrap), with a version that grows by one at every change. A device that unlocked the
 * account checks what the server shows against it, and remembers the highest version it has seen, so that a server
 * cannot bring back a removed passkey, an old passphrase or a used recovery code unnoticed (threat model row 10).
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u8, utf8 } from './bytes.ts';
import { compareCodeUnits } from './code-unit-order.ts';
import { CofferCryptoError } from './errors.ts';
import { LABEL_KEY_SET } from './labels.ts';
import { describeReceived } from './received.ts';

const subtle = globalThis.crypto.subtle;
const ECDSA_P256: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const KEY_SET_SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 91;
const DIGEST_BYTES = 32;
const MAX_VERSION = 2 ** 31 - 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1366}$/;

/** One passkey of the account, and the digest of its wrap of the master key (null when it only signs in). */
export interface KeySetPasskey {
  credentialId: string;
  wrapDigest: string | null;
}

/** What a key set states. Keys and digests are unpadded base64url; passkeys are sorted by credential id. */
export interface KeySet {
  accountId: string;
  version: number;
  publicKeys: { sharing: string; signing: string };
  passkeys: KeySetPasskey[];
  passphraseWrapDigest: string | null;
  recoveryWrapDigest: string | null;
}

/** A key set as stored and sent: the statement's UTF-8 JSON bytes and the ECDSA P-256 signature r || s, base64url. */
export interface SignedKeySet {
  statement: string;
  signature: string;
}

/** The account's keys and ways in, as the server hands them to the client (shared/api AccountBundle). */
export interface KeySetSource {
  accountId: string;
  publicKeys: { sharing: Uint8Array; signing: Uint8Array };
  /** Every passkey the server lists for the account, whether or not it has a wrap. */
  passkeyIds: readonly string[];
  prfWraps: readonly { credentialId: string; wrapped: string }[];
  passphraseWrap: { wrapped: string } | null;
  recoveryWrap: { wrapped: string } | null;
}

const b64 = (bytes: Uint8Array) => encodeBase64url(bytes, { padding: false });

/** SHA-256 of a wrap's token text, as the key set names it. */
export async function wrapDigest(wrapped: string): Promise<string> {
  return b64(new Uint8Array(await subtle.digest('SHA-256', own(utf8(wrapped)))));
}

/** The key set that states `source` as version `version`. */
export async function describeKeySet(source: KeySetSource, version: number): Promise<KeySet> {
  const prf = new Map(source.prfWraps.map((wrap) => [wrap.credentialId, wrap.wrapped]));
  const passkeys = await Promise.all(
    [...new Set(source.passkeyIds)].map(async (credentialId) => {
      const wrapped = prf.get(credentialId);
      return { credentialId, wrapDigest: wrapped === undefined ? null : await wrapDigest(wrapped) };
    }),
  );
  return canonical({
    accountId: source.accountId,
    version,
    publicKeys: { sharing: b64(source.publicKeys.sharing), signing: b64(source.publicKeys.signing) },
    passkeys,
    passphraseWrapDigest: source.passphraseWrap ? await wrapDigest(source.passphraseWrap.wrapped) : null,
    recoveryWrapDigest: source.recoveryWrap ? await wrapDigest(source.recoveryWrap.wrapped) : null,
  });
}

/** The key set's fields in their one order, passkeys sorted by credential id, so that a statement has one form. */
function canonical(keySet: KeySet): KeySet {
  return {
    accountId: keySet.accountId,
    version: keySet.version,
    publicKeys: { sharing: keySet.publicKeys.sharing, signing: keySet.publicKeys.signing },
    passkeys: [...keySet.passkeys]
      .sort((a, b) => compareCodeUnits(a.credentialId, b.credentialId))
      .map((passkey) => ({ credentialId: passkey.credentialId, wrapDigest: passkey.wrapDigest })),
    passphraseWrapDigest: keySet.passphraseWrapDigest,
    recoveryWrapDigest: keySet.recoveryWrapDigest,
  };
}

/** The statement: the key set's canonical JSON, UTF-8. */
export function keySetStatement(keySet: KeySet): Uint8Array<ArrayBuffer> {
  return own(utf8(JSON.stringify(canonical(keySet))));
}

/** What the signing key signs: the label, a zero byte, then the statement. */
export function keySetSignedBytes(statement: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes(utf8(LABEL_KEY_SET), u8(0), statement);
}

/** Signs a key set with the account's ECDSA P-256 signing private key. */
export async function signKeySet(keySet: KeySet, signingKey: CryptoKey): Promise<SignedKeySet> {
  checkKeySet(keySet);
  const statement = keySetStatement(keySet);
  const signature = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, keySetSignedBytes(statement));
  return { statement: b64(statement), signature: b64(new Uint8Array(signature)) };
}

/**
 * Reads a signed key set without checking its signature (the server does this to learn the account and version);
 * KEY_SET_MALFORMED unless it is well formed and its statement is exactly the canonical form of what it states.
 */
export function readKeySet(value: unknown): { keySet: KeySet; statement: Uint8Array; signature: Uint8Array } {
  const signed = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const statement = decodeField(signed.statement, 'statement');
  const signature = decodeField(signed.signature, 'signature');
  if (signature.length !== KEY_SET_SIGNATURE_BYTES) {
    throw malformed(`its signature is ${KEY_SET_SIGNATURE_BYTES} bytes (r || s), got ${signature.length}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(statement));
  } catch {
    throw malformed('its statement is not UTF-8 JSON');
  }
  const keySet = parsed as KeySet;
  checkKeySet(keySet);
  const again = keySetStatement(keySet);
  if (again.length !== statement.length || again.some((byte, i) => byte !== statement[i])) {
    throw malformed('its statement is not in canonical form (fields in order, passkeys sorted, nothing else)');
  }
  return { keySet, statement, signature };
}

/**
 * Checks that the account's signing key signed this key set, and that it is this account's. KEY_SET_MALFORMED for one
 * that is not well formed; KEY_SET_INVALID for one the key did not sign or that names another account.
 */
export async function verifyKeySet(value: unknown, accountId: string, signingPublicKey: Uint8Array): Promise<KeySet> {
  const { keySet, statement, signature } = readKeySet(value);
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', own(signingPublicKey), ECDSA_P256, false, ['verify']);
  } catch {
    throw new CofferCryptoError('BAD_KEY', 'the signing key is not a P-256 public key in SPKI form');
  }
  const valid = await subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    own(signature),
    keySetSignedBytes(statement),
  );
  if (!valid) {
    throw new CofferCryptoError('KEY_SET_INVALID', "the key set is not signed by this account's signing key");
  }
  if (keySet.accountId !== accountId) {
    throw new CofferCryptoError('KEY_SET_INVALID', 'the key set names another account than the one it is read for');
  }
  return keySet;
}

/** Where what the server shows differs from a verified key set; empty lists and false everywhere when it agrees. */
export interface KeySetDifferences {
  /** The public keys the key set names are not the account's. */
  publicKeys: boolean;
  /** Passkeys the server lists that the key set does not name, or whose wrap is not the one it names. */
  unnamedPasskeys: string[];
  /** A passphrase wrap or recovery wrap the key set does not name. */
  passphrase: boolean;
  recovery: boolean;
}

/**
 * Compares what the server shows with the key set. A way in the key set names but the server no longer shows (a
 * recovery code just used up) is no difference: only what the server shows and the key set does not vouch for is.
 */
export async function keySetDifferences(keySet: KeySet, shown: KeySetSource): Promise<KeySetDifferences> {
  const stated = await describeKeySet(shown, keySet.version);
  const named = new Map(keySet.passkeys.map((passkey) => [passkey.credentialId, passkey.wrapDigest]));
  const differs = (shownDigest: string | null, statedDigest: string | null) =>
    shownDigest !== null && shownDigest !== statedDigest;
  return {
    publicKeys:
      stated.publicKeys.sharing !== keySet.publicKeys.sharing ||
      stated.publicKeys.signing !== keySet.publicKeys.signing,
    unnamedPasskeys: stated.passkeys
      .filter(
        (passkey) => !named.has(passkey.credentialId) || differs(passkey.wrapDigest, named.get(passkey.credentialId)!),
      )
      .map((passkey) => passkey.credentialId),
    passphrase: differs(stated.passphraseWrapDigest, keySet.passphraseWrapDigest),
    recovery: differs(stated.recoveryWrapDigest, keySet.recoveryWrapDigest),
  };
}

function decodeField(text: unknown, name: string): Uint8Array {
  if (typeof text !== 'string') throw malformed(`its ${name} is missing`);
  try {
    return decodeBase64url(text);
  } catch {
    throw malformed(`its ${name} is not base64url`);
  }
}

function malformed(why: string): CofferCryptoError {
  return new CofferCryptoError('KEY_SET_MALFORMED', `the key set is not well formed: ${why}`);
}

function isBase64urlOf(text: unknown, length: number): boolean {
  if (typeof text !== 'string') return false;
  try {
    return decodeBase64url(text).length === length && !text.endsWith('=');
  } catch {
    return false;
  }
}

const isDigestOrNull = (value: unknown) => value === null || isBase64urlOf(value, DIGEST_BYTES);

function checkKeySet(keySet: KeySet): void {
  if (typeof keySet !== 'object' || keySet === null) throw malformed('its statement is not a JSON object');
  if (typeof keySet.accountId !== 'string' || !UUID.test(keySet.accountId)) {
    throw malformed('its accountId is not a lowercase UUID');
  }
  if (!Number.isInteger(keySet.version) || keySet.version < 1 || keySet.version > MAX_VERSION) {
    throw malformed(`its version is a whole number from 1 to ${MAX_VERSION}, got ${describeReceived(keySet.version)}`);
  }
  const keys = keySet.publicKeys as Partial<KeySet['publicKeys']> | undefined;
  if (!isBase64urlOf(keys?.sharing, PUBLIC_KEY_BYTES) || !isBase64urlOf(keys?.signing, PUBLIC_KEY_BYTES)) {
    throw malformed(`its publicKeys are a sharing and a signing key of ${PUBLIC_KEY_BYTES} bytes, unpadded base64url`);
  }
  if (!Array.isArray(keySet.passkeys)) throw malformed('its passkeys are not a list');
  for (const passkey of keySet.passkeys as unknown[]) {
    const entry = (typeof passkey === 'object' && passkey !== null ? passkey : {}) as Partial<KeySetPasskey>;
    if (typeof entry.credentialId !== 'string' || !CREDENTIAL_ID.test(entry.credentialId)) {
      throw malformed('a passkey has no credentialId in base64url');
    }
    if (!isDigestOrNull(entry.wrapDigest)) throw malformed('a passkey wrapDigest is not a SHA-256 digest or null');
  }
  if (new Set(keySet.passkeys.map((passkey) => passkey.credentialId)).size !== keySet.passkeys.length) {
    throw malformed('it names a passkey twice');
  }
  if (!isDigestOrNull(keySet.passphraseWrapDigest) || !isDigestOrNull(keySet.recoveryWrapDigest)) {
    throw malformed('its passphraseWrapDigest and recoveryWrapDigest are SHA-256 digests or null');
  }
}
