/**
 * Share links (docs/FORMAT.md section 4.4): `/s/<link id>#<secret>`, with `.p` after the secret for a link with a
 * password. The secret lives only in the fragment; from it, and from the link's password when it has one, the page
 * derives two unrelated values: the wrapping secret that opens the node key (a wrap with purpose "link-key"), and an
 * access token whose SHA-256 is all the server keeps. So a link id without the fragment opens nothing, and the server
 * holds nothing it could test a password guess against: the password's Argon2id is salted from the secret, and both
 * values need the secret too (threat model row 6).
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import type { EncryptTokenOptions } from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { LABEL_LINK_ACCESS, LABEL_LINK_PASSWORD_SALT, LABEL_LINK_WRAP } from './labels.ts';
import {
  DEFAULT_ARGON2ID,
  passphraseWrappingSecret,
  PASSPHRASE_SALT_BYTES,
  type Argon2idParams,
} from './passphrase-kdf.ts';
import { KEY_PURPOSES } from './purposes.ts';
import { describeReceived } from './received.ts';
import type { NodeKind } from './tree.ts';
import { bytesToUuid, uuidToBytes } from './uuid.ts';
import { unwrapKey, wrapKey, type KeyBinding } from './wrap.ts';

export const LINK_SECRET_BYTES = 32;
/**
 * What follows the secret in the fragment of a link made with a password. The fragment is the only part of a link its
 * visitor can trust, so it, not the server, says whether the link has a password: a server that kept an earlier wrap
 * made without one, or claimed none is needed, cannot open the link to someone without the password.
 */
export const LINK_PASSWORD_MARK = '.p';
/** A link id, and a request link's id, is 1 to 64 characters of base64url's alphabet: safe in a path, and free of ':'. */
const LINK_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What a password's Argon2id costs; the salt comes from the secret. Checked against ARGON2ID_BOUNDS like a passphrase's. */
export type Argon2idCost = Pick<Argon2idParams, 'memoryKiB' | 'passes' | 'parallelism'>;

export interface LinkKeys {
  /** Opens the link's wrap of the node key (openLinkWrap). */
  wrappingSecret: Uint8Array;
  /** Presented to the server, which keeps only accessTokenHash of it. */
  accessToken: Uint8Array;
  /** Whether a password went into these keys: it decides what a failed unwrap tells the visitor. */
  withPassword: boolean;
}

/** Where a link leads: the ids its wrap is bound to. */
export interface LinkPlace {
  linkId: string;
  ownerId: string;
  nodeId: string;
  kind: NodeKind;
}

/** What a link's fragment says: its secret, and whether the link was made with a password. */
export interface LinkFragment {
  secret: string;
  withPassword: boolean;
}

/** A new secret, in the form the fragment carries it: 43 characters of unpadded base64url. */
export function generateLinkSecret(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(LINK_SECRET_BYTES)), { padding: false });
}

/** The fragment of a link: its secret, then the password mark when it was made with a password. */
export function linkFragment(secret: string, withPassword: boolean): string {
  parseLinkSecret(secret);
  return withPassword ? `${secret}${LINK_PASSWORD_MARK}` : secret;
}

/** Reads a link's fragment (without the '#'); LINK_MALFORMED for anything but a secret, with or without the mark. */
export function parseLinkFragment(fragment: string): LinkFragment {
  const withPassword = fragment.endsWith(LINK_PASSWORD_MARK);
  const secret = withPassword ? fragment.slice(0, -LINK_PASSWORD_MARK.length) : fragment;
  parseLinkSecret(secret);
  return { secret, withPassword };
}

export function parseLinkSecret(text: string): Uint8Array<ArrayBuffer> {
  let secret: Uint8Array<ArrayBuffer> | undefined;
  try {
    secret = decodeBase64url(text);
  } catch {
    secret = undefined;
  }
  if (!secret || secret.length !== LINK_SECRET_BYTES || text.endsWith('=')) {
    throw new CofferCryptoError(
      'LINK_MALFORMED',
      `a link's secret is ${Math.ceil((LINK_SECRET_BYTES * 4) / 3)} characters of base64url, got ${text.length} characters: the link was cut short or altered`,
    );
  }
  return secret;
}

/**
 * The link's wrapping secret and access token, from the secret in the fragment and, for a link with a password, the
 * password (normalized to NFC, as a passphrase) through Argon2id. An empty password is refused (BAD_ARGUMENT): a link
 * either has a password or has none.
 */
export async function deriveLinkKeys(
  secretText: string,
  linkId: string,
  password?: string,
  cost: Argon2idCost = DEFAULT_ARGON2ID,
): Promise<LinkKeys> {
  const secret = parseLinkSecret(secretText);
  checkLinkId(linkId);
  const salt = utf8(linkId);
  const withPassword = password !== undefined;
  let ikm: Uint8Array = secret;
  if (withPassword) {
    if (password.length === 0) throw new CofferCryptoError('BAD_ARGUMENT', 'a link password cannot be empty');
    const passwordSalt = await hkdf(
      await importHkdfKey(secret),
      salt,
      utf8(LABEL_LINK_PASSWORD_SALT),
      PASSPHRASE_SALT_BYTES,
    );
    const stretched = await passphraseWrappingSecret(password, {
      kdf: 'Argon2id',
      ...cost,
      salt: encodeBase64url(passwordSalt, { padding: false }),
    });
    ikm = concatBytes(secret, stretched);
  }
  const key = await importHkdfKey(ikm);
  const info = (label: string) => concatBytes(utf8(label), u8(0), u8(withPassword ? 1 : 0));
  const [wrappingSecret, accessToken] = await Promise.all([
    hkdf(key, salt, info(LABEL_LINK_WRAP)),
    hkdf(key, salt, info(LABEL_LINK_ACCESS)),
  ]);
  return { wrappingSecret, accessToken, withPassword };
}

/** What the server stores in place of the access token: its SHA-256. */
export async function accessTokenHash(accessToken: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', own(accessToken)));
}

export function wrapForLink(
  keys: LinkKeys,
  nodeKey: Uint8Array,
  place: LinkPlace,
  options?: EncryptTokenOptions,
): Promise<string> {
  return wrapKey(keys.wrappingSecret, nodeKey, linkBinding(place), options);
}

/**
 * The node key, or WRAPPED_KEY_INVALID when the wrap does not open with these keys for this link, owner and node. The
 * code is the same whatever failed; the message says what the visitor can do about it, which depends only on whether
 * they gave a password.
 */
export async function openLinkWrap(keys: LinkKeys, wrapped: string, expected: LinkPlace): Promise<Uint8Array> {
  try {
    return await unwrapKey(keys.wrappingSecret, wrapped, linkBinding(expected));
  } catch (error) {
    if (!(error instanceof CofferCryptoError) || error.code !== 'WRAPPED_KEY_INVALID') throw error;
    throw new CofferCryptoError(
      'WRAPPED_KEY_INVALID',
      keys.withPassword
        ? 'wrong password, or the link was altered: the password and the link together do not open this item'
        : 'this link does not open without its password (if it has one, enter it), or the link was altered',
    );
  }
}

export function checkLinkId(linkId: string): void {
  if (!LINK_ID.test(linkId)) {
    throw new CofferCryptoError(
      'LINK_MALFORMED',
      `a link id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_', got ${describeReceived(linkId)}${outsideAt(linkId)}`,
    );
  }
}

/** Where a link id first has a character it may not have, in words; nothing when all of them are allowed. */
function outsideAt(linkId: unknown): string {
  const at = typeof linkId === 'string' ? linkId.search(/[^A-Za-z0-9_-]/) : -1;
  return at < 0 ? '' : `, with another character at position ${at}`;
}

function linkBinding(place: LinkPlace): KeyBinding {
  checkLinkId(place.linkId);
  if (place.kind !== 'folder' && place.kind !== 'file') {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `a node kind is "folder" or "file", got ${describeReceived(place.kind)}`,
    );
  }
  return {
    purpose: KEY_PURPOSES.linkKey,
    owner: bytesToUuid(uuidToBytes(place.ownerId)),
    object: [bytesToUuid(uuidToBytes(place.nodeId)), place.kind, place.linkId].join(':'),
  };
}
