/**
 * Author signatures (docs/FORMAT.md section 5.2): whoever writes a node's metadata (makes the node, uploads a
 * revision, renames, moves, restores a version or rotates its key) signs, with the account's signing key, what it
 * wrote and where. A reader checks the signature against the author's key before it names the author ("added by
 * @bob"), so a server cannot credit one account with what another wrote, nor move a signed node elsewhere, nor swap
 * its metadata or current revision under the author's name.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u16, u32, u8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { LABEL_NODE_AUTHOR, NODE_AUTHOR_VERSION } from './labels.ts';
import { MAX_REVISION } from './stream-keys.ts';
import type { NodeKind } from './tree.ts';
import { uuidToBytes } from './uuid.ts';

const subtle = globalThis.crypto.subtle;
const ECDSA_P256: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const AUTHOR_SIGNATURE_BYTES = 64;

/** What the author did: made the node, or changed it (a new revision, a name, a place, a restored version, a key). */
export const AUTHOR_ACTIONS = ['create', 'revise', 'rename', 'move', 'restore', 'rekey'] as const;
export type AuthorAction = (typeof AUTHOR_ACTIONS)[number];

/** Everything an author signature binds. Ids are UUIDs; the bytes are exactly what was sent to the server. */
export interface AuthorStatement {
  action: AuthorAction;
  authorId: string;
  ownerId: string;
  nodeId: string;
  /** null only for an account's root folder. */
  parentId: string | null;
  kind: NodeKind;
  /** A file's current revision as its metadata names it, and that revision's stream header; null for a folder. */
  revision: { number: number; header: Uint8Array } | null;
  /** The node's metadata token, binary. */
  encryptedMetadata: Uint8Array;
}

/** The signature as stored beside the node: the action it states and ECDSA P-256 r || s, base64url. */
export interface AuthorSignature {
  action: AuthorAction;
  signature: string;
}

/**
 * The bytes an author signs (docs/FORMAT.md section 5.2): the label, the version, then every field length-prefixed in
 * a fixed order; ids as their 16 bytes (a root's parent as sixteen zero bytes); and SHA-256 digests of the stream
 * header and of the metadata token. A folder has revision 0 and an empty header digest.
 */
export async function authorSignedBytes(statement: AuthorStatement): Promise<Uint8Array<ArrayBuffer>> {
  checkStatement(statement);
  const digest = async (bytes: Uint8Array) => new Uint8Array(await subtle.digest('SHA-256', own(bytes)));
  const fields = [
    utf8(statement.action),
    uuidToBytes(statement.authorId),
    uuidToBytes(statement.ownerId),
    uuidToBytes(statement.nodeId),
    statement.parentId === null ? new Uint8Array(16) : uuidToBytes(statement.parentId),
    utf8(statement.kind),
    u32(statement.revision?.number ?? 0),
    statement.revision ? await digest(statement.revision.header) : new Uint8Array(0),
    await digest(statement.encryptedMetadata),
  ];
  return concatBytes(
    utf8(LABEL_NODE_AUTHOR),
    u8(0),
    u8(NODE_AUTHOR_VERSION),
    ...fields.flatMap((field) => [u16(field.length), field]),
  );
}

/** Signs a statement with the author's ECDSA P-256 signing private key. */
export async function signAuthorship(statement: AuthorStatement, signingKey: CryptoKey): Promise<AuthorSignature> {
  const signed = await authorSignedBytes(statement);
  const signature = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, signed));
  return { action: statement.action, signature: encodeBase64url(signature) };
}

/**
 * Checks that the author's key signed exactly this statement (the node as the reader sees it, with the action the
 * signature states). AUTHOR_SIGNATURE_MALFORMED for a signature that is not well formed; AUTHOR_SIGNATURE_INVALID for
 * one that does not verify: another author, node, place, kind, revision or metadata than the one signed.
 */
export async function verifyAuthorship(
  signature: AuthorSignature,
  statement: Omit<AuthorStatement, 'action'>,
  authorSigningKey: Uint8Array,
): Promise<void> {
  const parsed = parseAuthorSignature(signature);
  const signed = await authorSignedBytes({ ...statement, action: parsed.action });
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', own(authorSigningKey), ECDSA_P256, false, ['verify']);
  } catch {
    throw new CofferCryptoError('BAD_KEY', `the author's signing key is not a P-256 public key in SPKI form`);
  }
  const valid = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, parsed.bytes, signed);
  if (!valid) {
    throw new CofferCryptoError(
      'AUTHOR_SIGNATURE_INVALID',
      `the author signature does not verify with the signing key of ${statement.authorId}: this account did not write this item as it is listed here`,
    );
  }
}

function parseAuthorSignature(value: unknown): AuthorSignature & { bytes: Uint8Array<ArrayBuffer> } {
  const signature = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (!AUTHOR_ACTIONS.includes(signature.action as AuthorAction)) {
    throw new CofferCryptoError(
      'AUTHOR_SIGNATURE_MALFORMED',
      `an author signature's action is not one of ${AUTHOR_ACTIONS.join(', ')}`,
    );
  }
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  try {
    bytes = typeof signature.signature === 'string' ? own(decodeBase64url(signature.signature)) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes?.length !== AUTHOR_SIGNATURE_BYTES) {
    throw new CofferCryptoError(
      'AUTHOR_SIGNATURE_MALFORMED',
      `an author signature is not ${AUTHOR_SIGNATURE_BYTES} bytes (r || s) in base64url`,
    );
  }
  return { action: signature.action as AuthorAction, signature: signature.signature as string, bytes };
}

function checkStatement(statement: AuthorStatement): void {
  if (!AUTHOR_ACTIONS.includes(statement.action)) {
    throw new CofferCryptoError('BAD_ARGUMENT', `an author action is one of ${AUTHOR_ACTIONS.join(', ')}`);
  }
  if ((statement.kind === 'file') !== (statement.revision !== null)) {
    throw new CofferCryptoError('BAD_ARGUMENT', 'a file names its current revision, and a folder none');
  }
  // The signed bytes carry the number as a u32: a number outside that range would sign as another revision's.
  const number = statement.revision?.number;
  if (number !== undefined && !(Number.isInteger(number) && number >= 0 && number <= MAX_REVISION)) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `a revision is a whole number from 0 to ${MAX_REVISION}, got ${number}`,
    );
  }
}
