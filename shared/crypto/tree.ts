/**
 * The folder tree (docs/FORMAT.md section 5). Every folder and file has its own random 32-byte key, wrapped under its
 * parent folder's key (the root's under the account master key), and its name, type, size and dates are metadata
 * encrypted under a key derived from its own key and bound to its kind, its id and its parent's id. A server that
 * moves a node, swaps its metadata with another node's or passes a file off as a folder is refused, because the key
 * or the metadata no longer authenticates.
 */
import { concatBytes, fromUtf8, u8, utf8 } from './bytes.ts';
import { hasDuplicateKey } from './duplicate-keys.ts';
import { CofferCryptoError } from './errors.ts';
import {
  decryptToken,
  encryptToken,
  generateKey,
  importFernetKey,
  type EncryptTokenOptions,
  type FernetKey,
} from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { LABEL_METADATA } from './labels.ts';
import { KEY_PURPOSES } from './purposes.ts';
import { uuidToBytes } from './uuid.ts';
import { deriveWrappingKey, unwrapKey, unwrapKeyWith, wrapKey, wrapKeyWith } from './wrap.ts';

export type NodeKind = 'folder' | 'file';

/** Where a node sits: the ids its key and metadata are bound to. `parentId` is null only for the root folder. */
export interface NodePlace {
  ownerId: string;
  nodeId: string;
  parentId: string | null;
  kind: NodeKind;
}

export interface FolderMetadata {
  name: string;
}

export interface FileMetadata {
  name: string;
  /** Media type, as the browser reported it ("" when unknown). */
  type: string;
  /** Plaintext bytes. */
  size: number;
  /** When the file was last modified on the device it came from, in milliseconds since 1970. */
  modified: number;
  /** The revision this metadata describes (a u32, as in the stream header): another revision is caught. */
  revision: number;
}

export type NodeMetadata<K extends NodeKind> = K extends 'folder' ? FolderMetadata : FileMetadata;

/** Longest name, in UTF-8 bytes, as on most file systems. */
export const MAX_NAME_BYTES = 255;
/** Metadata plaintext is padded with spaces to a multiple of this, so that its length says little about the name. */
export const METADATA_PADDING = 64;
/** Revisions are u32 in the stream header (docs/FORMAT.md section 3.1); metadata names one of them. */
export const MAX_REVISION = 0xffff_ffff;
/** The root folder is bound to this parent id: sixteen zero bytes. */
const NO_PARENT = new Uint8Array(16);
const KIND_BYTE: Record<NodeKind, number> = { folder: 1, file: 2 };
export const NODE_KEY_PURPOSE: Record<NodeKind, string> = {
  folder: KEY_PURPOSES.folderKey,
  file: KEY_PURPOSES.fileKey,
};

export function generateNodeKey(): Uint8Array<ArrayBuffer> {
  return generateKey();
}

/** Wraps a node's key under its parent folder's key, or the root folder's key under the master key. */
export function wrapNodeKey(parentKey: Uint8Array, nodeKey: Uint8Array, place: NodePlace): Promise<string> {
  return wrapKey(parentKey, nodeKey, keyBinding(place));
}

/** Throws WRAPPED_KEY_INVALID unless `wrapped` is this node's key, wrapped under this parent's key. */
export function unwrapNodeKey(parentKey: Uint8Array, wrapped: string, place: NodePlace): Promise<Uint8Array> {
  return unwrapKey(parentKey, wrapped, keyBinding(place));
}

/** Unwraps node keys under one parent key, as unwrapNodeKey does. */
export type NodeKeyUnwrapper = (wrapped: string, place: NodePlace) => Promise<Uint8Array>;

/**
 * For the children of one folder: the wrapping key is derived from the folder's key once rather than per child, which
 * saves four of the twelve WebCrypto calls that opening a child takes.
 */
export async function nodeKeyUnwrapper(parentKey: Uint8Array): Promise<NodeKeyUnwrapper> {
  const wrappingKey = await deriveWrappingKey(parentKey);
  return (wrapped, place) => unwrapKeyWith(wrappingKey, wrapped, keyBinding(place));
}

/** Wraps node keys under one parent key, as wrapNodeKey does. */
export type NodeKeyWrapper = (nodeKey: Uint8Array, place: NodePlace) => Promise<string>;

/** For many children of one folder (a key rotation re-wraps them all): the wrapping key is derived once. */
export async function nodeKeyWrapper(parentKey: Uint8Array): Promise<NodeKeyWrapper> {
  const wrappingKey = await deriveWrappingKey(parentKey);
  return (nodeKey, place) => wrapKeyWith(wrappingKey, nodeKey, keyBinding(place));
}

/**
 * `options.timestamp` keeps the time the metadata was written when it is only encrypted again under a new key (a key
 * rotation, docs/FORMAT.md section 4.6), which changes nothing it describes. `options.iv` is for test vectors only.
 */
export async function encryptMetadata<K extends NodeKind>(
  nodeKey: Uint8Array,
  place: NodePlace & { kind: K },
  metadata: NodeMetadata<K>,
  options?: Pick<EncryptTokenOptions, 'timestamp' | 'iv'>,
): Promise<Uint8Array<ArrayBuffer>> {
  const checked = checkMetadata(place.kind, metadata);
  if (!checked) throw new CofferCryptoError('BAD_ARGUMENT', describeBadMetadata(place.kind, metadata));
  const json = JSON.stringify(checked);
  const padded = json + ' '.repeat((METADATA_PADDING - (utf8(json).length % METADATA_PADDING)) % METADATA_PADDING);
  return encryptToken(await metadataKey(nodeKey, place), utf8(padded), options);
}

/** Returns the metadata, or throws METADATA_INVALID when it fails authentication or is not well formed. */
export async function decryptMetadata<K extends NodeKind>(
  nodeKey: Uint8Array,
  place: NodePlace & { kind: K },
  encrypted: Uint8Array,
): Promise<NodeMetadata<K>> {
  let plaintext: Uint8Array;
  try {
    plaintext = await decryptToken(await metadataKey(nodeKey, place), encrypted);
  } catch (error) {
    if (error instanceof CofferCryptoError) throw invalidMetadata();
    throw error;
  }
  let json: string;
  let parsed: unknown;
  try {
    json = fromUtf8(plaintext);
    parsed = JSON.parse(json);
  } catch {
    throw invalidMetadata();
  }
  if (hasDuplicateKey(json)) throw invalidMetadata();
  const checked = checkMetadata(place.kind, parsed);
  if (!checked) throw invalidMetadata();
  return checked as NodeMetadata<K>;
}

/**
 * Characters a name may not hold, because they are invisible and change how the text around them is shown: the
 * controls (Cc: C0 U+0000 to U+001F, DEL and C1 U+007F to U+009F), and the bidirectional embeddings, overrides and
 * isolates, with which "invoice\u202Efdp.exe" shows as "invoiceexe.pdf".
 */
export const FORBIDDEN_IN_NAMES = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
/** A UTF-16 surrogate not paired with another (JSON can write one as "\ud800"); UTF-8 has no form for it. */
export const LONE_SURROGATE = /\p{Cs}/u;

/** Why a name cannot be used, or null when it can; the same rules for writing and for reading (FORMAT.md 5). */
export function nameProblem(name: string): string | null {
  if (name.trim() === '') return 'a name cannot be empty';
  if (name.trim() !== name) return 'a name cannot begin or end with white space';
  if (name === '.' || name === '..') return `"${name}" cannot be a name`;
  if (/[/\\]/.test(name)) return 'a name cannot contain "/" or "\\"';
  const forbidden = FORBIDDEN_IN_NAMES.exec(name)?.[0];
  if (forbidden !== undefined) {
    return `the name contains an invisible control character (${codePoint(forbidden)}), which Coffer does not allow in names`;
  }
  const lone = LONE_SURROGATE.exec(name)?.[0];
  if (lone !== undefined)
    return `the name contains an unpaired UTF-16 surrogate (${codePoint(lone)}), which is not text`;
  if (utf8(name).length > MAX_NAME_BYTES) return `a name is at most ${MAX_NAME_BYTES} bytes of UTF-8`;
  return null;
}

/** "U+202E". */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function keyBinding(place: NodePlace) {
  return { purpose: NODE_KEY_PURPOSE[place.kind], owner: place.ownerId, object: place.nodeId.toLowerCase() };
}

async function metadataKey(nodeKey: Uint8Array, place: NodePlace): Promise<FernetKey> {
  if (place.parentId === null && place.kind !== 'folder') {
    throw new CofferCryptoError('BAD_ARGUMENT', 'only a folder can be the root');
  }
  const info = concatBytes(
    utf8(LABEL_METADATA),
    u8(0),
    u8(KIND_BYTE[place.kind]),
    uuidToBytes(place.nodeId),
    place.parentId === null ? NO_PARENT : uuidToBytes(place.parentId),
  );
  return importFernetKey(await hkdf(await importHkdfKey(nodeKey), new Uint8Array(0), info));
}

/** The metadata with exactly its known fields, or null when a field is missing, extra or out of range. */
function checkMetadata(kind: NodeKind, value: unknown): FolderMetadata | FileMetadata | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const fields = kind === 'folder' ? ['name'] : ['name', 'type', 'size', 'modified', 'revision'];
  if (Object.keys(record).length !== fields.length || !fields.every((field) => field in record)) return null;
  if (typeof record.name !== 'string' || nameProblem(record.name) !== null) return null;
  if (kind === 'folder') return { name: record.name };
  const { type, size, modified, revision } = record;
  if (typeof type !== 'string' || type.length > 255) return null;
  if (!isCount(size) || !isCount(modified) || !isCount(revision) || revision > MAX_REVISION) return null;
  return { name: record.name, type, size, modified, revision };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describeBadMetadata(kind: NodeKind, metadata: unknown): string {
  const name = (metadata as { name?: unknown }).name;
  const problem = typeof name === 'string' ? nameProblem(name) : 'a name must be a string';
  return (
    problem ??
    `${kind} metadata must have exactly its fields, with whole numbers for sizes and dates and a revision of at most ${MAX_REVISION}`
  );
}

function invalidMetadata(): CofferCryptoError {
  return new CofferCryptoError('METADATA_INVALID', 'metadata failed authentication or does not belong to this node');
}
