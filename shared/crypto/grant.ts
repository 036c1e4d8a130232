/**
 * Grants (docs/FORMAT.md section 4.3): a node's key shared with another account. The key is sealed to the recipient's
 * sharing public key (ecdh-seal.ts) in a wrap that names purpose "share-key", the sender, the recipient, the node, its
 * kind and the role; the whole grant is signed with the sender's signing key. The recipient checks the signature
 * against the sender's key it pinned before anything else, so a server can neither forge a grant in a contact's name,
 * nor alter one, nor redirect one to another node or role (threat model rows 1 and 4).
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u16, u8, utf8 } from './bytes.ts';
import { openSeal, sealToPublicKey, type SealOptions } from './ecdh-seal.ts';
import { CofferCryptoError } from './errors.ts';
import { GRANT_VERSION, LABEL_GRANT_SIGNATURE, LABEL_GRANT_WRAP } from './labels.ts';
import { KEY_PURPOSES } from './purposes.ts';
import { describeReceived } from './received.ts';
import type { NodeKind } from './tree.ts';
import { bytesToUuid, uuidToBytes } from './uuid.ts';
import type { KeyBinding } from './wrap.ts';

const subtle = globalThis.crypto.subtle;
const ECDSA_P256: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNATURE_BYTES = 64;

export const GRANT_ROLES = ['viewer', 'editor'] as const;
export type GrantRole = (typeof GRANT_ROLES)[number];
const NODE_KINDS: readonly NodeKind[] = ['folder', 'file'];

/** What a grant says: who gives which node's key to whom, and as what. Ids are UUIDs. */
export interface GrantTerms {
  senderId: string;
  recipientId: string;
  ownerId: string;
  nodeId: string;
  kind: NodeKind;
  role: GrantRole;
}

/** A grant as it is stored and sent: its terms (ids in lower-case), the sealed key, and the sender's signature. */
export interface Grant extends GrantTerms {
  version: typeof GRANT_VERSION;
  /** The ephemeral ECDH public key, SPKI, base64url. */
  ephemeralPublicKey: string;
  /** The node key, wrapped (docs/FORMAT.md section 4) under the sealing secret. */
  wrapped: string;
  /** ECDSA P-256 with SHA-256 over grantSignedBytes, r || s (64 bytes), base64url. */
  signature: string;
}

export interface MakeGrantInput {
  terms: GrantTerms;
  nodeKey: Uint8Array;
  /** The sender's ECDSA P-256 signing private key. */
  senderSigningKey: CryptoKey;
  /** The recipient's sharing public key (SPKI) as the sender pinned it. */
  recipientSharingKey: Uint8Array;
}

export async function makeGrant(input: MakeGrantInput, options?: SealOptions): Promise<Grant> {
  const terms = canonicalTerms(input.terms);
  const seal = await sealToPublicKey(
    LABEL_GRANT_WRAP,
    input.recipientSharingKey,
    input.nodeKey,
    grantBinding(terms),
    options,
  );
  const unsigned: Omit<Grant, 'signature'> = { version: GRANT_VERSION, ...terms, ...seal };
  const signed = grantSignedBytes(unsigned, input.recipientSharingKey);
  const signature = new Uint8Array(
    await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, input.senderSigningKey, signed),
  );
  return { ...unsigned, signature: encodeBase64url(signature) };
}

export interface OpenGrantInput {
  /** The sender's signing public key (SPKI): the pinned contact's, or the server's copy for an unverified sender. */
  senderSigningKey: Uint8Array;
  /** The recipient's own sharing key pair: the private key and its public half (SPKI). */
  recipientSharingKey: { privateKey: CryptoKey; publicKey: Uint8Array };
  /** What the grant must say: the sender the key belongs to, this account, and the node and role the server shows. */
  expected: GrantTerms;
}

/**
 * The node key, once the grant is shown to be the sender's and to say exactly what is expected. In this order:
 * GRANT_MALFORMED for a grant that is not well formed; GRANT_SIGNATURE_INVALID unless the sender's key signed exactly
 * these bytes; GRANT_MISMATCH, naming the field, for a signed grant that says something else than expected; and
 * WRAPPED_KEY_INVALID when the sealed key does not open for this recipient with these terms.
 */
export async function openGrant(grant: Grant, input: OpenGrantInput): Promise<Uint8Array> {
  const parsed = await verifyGrant(grant, { ...input, recipientSharingKey: input.recipientSharingKey.publicKey });
  return openSeal(
    LABEL_GRANT_WRAP,
    input.recipientSharingKey.privateKey,
    input.recipientSharingKey.publicKey,
    parsed,
    grantBinding(parsed),
  );
}

export interface VerifyGrantInput {
  senderSigningKey: Uint8Array;
  /** The recipient's sharing public key (SPKI) the grant was sealed to. */
  recipientSharingKey: Uint8Array;
  expected: GrantTerms;
}

/**
 * The grant, once shown to be the sender's and to say exactly what is expected, without opening its key: what the
 * sender checks of a grant it made, as the server lists it back. The same errors as openGrant, in the same order.
 */
export async function verifyGrant(grant: Grant, input: VerifyGrantInput): Promise<Grant> {
  const parsed = parseGrant(grant);
  const signed = grantSignedBytes(parsed, input.recipientSharingKey);
  if (!(await verifySignature(input.senderSigningKey, parsed.signature, signed))) {
    throw new CofferCryptoError(
      'GRANT_SIGNATURE_INVALID',
      `the grant's signature does not verify with the sender's signing key (the grant says it is from ${parsed.senderId}): it was altered, made for another recipient's key, or made by someone else`,
    );
  }
  const expected = canonicalTerms(input.expected);
  for (const field of TERM_FIELDS) {
    if (parsed[field] !== expected[field]) {
      throw new CofferCryptoError(
        'GRANT_MISMATCH',
        `the grant names another ${TERM_NAMES[field]} than the one expected`,
      );
    }
  }
  return parsed;
}

/**
 * The bytes the sender signs (docs/FORMAT.md section 4.3): the label, the version, then every field length-prefixed
 * in a fixed order, ids as their 16 bytes, and the recipient's public key, which the grant does not carry because the
 * recipient knows its own.
 */
export function grantSignedBytes(
  grant: Omit<Grant, 'signature'>,
  recipientSharingKey: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const fields = [
    uuidToBytes(grant.senderId),
    uuidToBytes(grant.recipientId),
    uuidToBytes(grant.ownerId),
    uuidToBytes(grant.nodeId),
    utf8(grant.kind),
    utf8(grant.role),
    decodeBase64url(grant.ephemeralPublicKey),
    recipientSharingKey,
    decodeBase64url(grant.wrapped),
  ];
  return concatBytes(
    utf8(LABEL_GRANT_SIGNATURE),
    u8(0),
    u8(GRANT_VERSION),
    ...fields.flatMap((field) => [u16(field.length), field]),
  );
}

const TERM_FIELDS = ['senderId', 'recipientId', 'ownerId', 'nodeId', 'kind', 'role'] as const;
const TERM_NAMES: Record<(typeof TERM_FIELDS)[number], string> = {
  senderId: 'sender',
  recipientId: 'recipient',
  ownerId: 'owner',
  nodeId: 'node',
  kind: 'kind',
  role: 'role',
};

/** The wrap inside a grant binds every term: the owner as its owner, the rest in its object, in a fixed order. */
function grantBinding(terms: GrantTerms): KeyBinding {
  return {
    purpose: KEY_PURPOSES.shareKey,
    owner: terms.ownerId,
    object: [terms.nodeId, terms.kind, terms.senderId, terms.recipientId, terms.role].join(':'),
  };
}

function canonicalTerms(terms: GrantTerms): GrantTerms {
  if (!NODE_KINDS.includes(terms.kind)) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `a node kind is "folder" or "file", got ${describeReceived(terms.kind)}`,
    );
  }
  if (!GRANT_ROLES.includes(terms.role)) {
    throw new CofferCryptoError('BAD_ARGUMENT', `a role is "viewer" or "editor", got ${describeReceived(terms.role)}`);
  }
  return {
    senderId: canonicalUuid(terms.senderId),
    recipientId: canonicalUuid(terms.recipientId),
    ownerId: canonicalUuid(terms.ownerId),
    nodeId: canonicalUuid(terms.nodeId),
    kind: terms.kind,
    role: terms.role,
  };
}

function canonicalUuid(id: string): string {
  return bytesToUuid(uuidToBytes(id));
}

/** The grant as sent, if every field has its type and form: UUIDs in lower case, known kind and role, base64url. */
function parseGrant(value: unknown): Grant {
  const grant = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const malformed = (what: string) => new CofferCryptoError('GRANT_MALFORMED', `a grant's ${what}`);
  if (grant.version !== GRANT_VERSION) {
    // Only a number the server sent is named: its text would read as Coffer's in the refusal.
    const got = Number.isSafeInteger(grant.version) ? `, got ${grant.version as number}` : '';
    throw malformed(`version is ${GRANT_VERSION}${got}`);
  }
  for (const field of ['senderId', 'recipientId', 'ownerId', 'nodeId'] as const) {
    const id = grant[field];
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
      throw malformed(`${field} is not a UUID in lower case`);
    }
  }
  if (!NODE_KINDS.includes(grant.kind as NodeKind)) {
    throw malformed(`kind is not "folder" or "file"`);
  }
  if (!GRANT_ROLES.includes(grant.role as GrantRole)) {
    throw malformed(`role is not "viewer" or "editor"`);
  }
  for (const field of ['ephemeralPublicKey', 'wrapped', 'signature'] as const) {
    const text = grant[field];
    let bytes: Uint8Array | undefined;
    try {
      bytes = typeof text === 'string' ? decodeBase64url(text) : undefined;
    } catch {
      bytes = undefined;
    }
    if (!bytes || bytes.length === 0) throw malformed(`${field} is not base64url`);
    if (field === 'signature' && bytes.length !== SIGNATURE_BYTES) {
      throw malformed(`signature is ${SIGNATURE_BYTES} bytes (r || s), got ${bytes.length}`);
    }
  }
  return grant as unknown as Grant;
}

async function verifySignature(spki: Uint8Array, signature: string, signed: Uint8Array): Promise<boolean> {
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', own(spki), ECDSA_P256, false, ['verify']);
  } catch {
    throw new CofferCryptoError('BAD_KEY', `the sender's signing key is not a P-256 public key in SPKI form`);
  }
  return subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, decodeBase64url(signature), own(signed));
}
