/**
 * Folder manifests (docs/FORMAT.md section 5.3): whoever last changed a folder's children signs, with an increasing
 * version, the list of its live children as it left them, each with a digest of what it holds (kind, metadata token
 * and current revision). A device that remembers the highest version it has seen of a folder can then tell when a
 * server shows an older state of it, hides one of its children, or lists one its writer never put there.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u16, u32, u8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { FOLDER_MANIFEST_VERSION, LABEL_FOLDER_MANIFEST } from './labels.ts';
import type { NodeKind } from './tree.ts';
import { bytesToUuid, isCanonicalUuid, uuidToBytes } from './uuid.ts';

const subtle = globalThis.crypto.subtle;
const ECDSA_P256: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const DIGEST_BYTES = 32;
const SIGNATURE_BYTES = 64;
/** Versions are u32 in the signed bytes; a folder changed once a second would take a century to run out. */
export const MAX_MANIFEST_VERSION = 0xffff_ffff;

/** A live child as the writer left it: the same fields an author signature binds (5.2), minus place and author. */
export interface FolderChildState {
  id: string;
  kind: NodeKind;
  /** A file's current revision number and its stream header; null for a folder. */
  revision: { number: number; header: Uint8Array } | null;
  /** The child's metadata token, binary. */
  encryptedMetadata: Uint8Array;
}

/** One child as a manifest names it: its id and the digest of its state, base64url. */
export interface FolderManifestEntry {
  id: string;
  digest: string;
}

/** A folder manifest as stored beside the folder and listed with its children. */
export interface FolderManifest {
  version: number;
  /** The account that signed it: the owner, or an editor of a share. */
  writerId: string;
  children: FolderManifestEntry[];
  /** ECDSA P-256 r || s, base64url. */
  signature: string;
}

/** Everything a manifest signature binds. */
export interface FolderManifestStatement {
  folderId: string;
  ownerId: string;
  writerId: string;
  version: number;
  children: FolderManifestEntry[];
}

const field = (bytes: Uint8Array) => [u16(bytes.length), bytes];
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await subtle.digest('SHA-256', own(bytes)));

/**
 * The digest of one child's state: SHA-256 over its id, kind, revision number (0 for a folder), the SHA-256 of the
 * revision's stream header (empty for a folder) and the SHA-256 of its metadata token, each length-prefixed.
 */
export async function manifestEntry(child: FolderChildState): Promise<FolderManifestEntry> {
  if ((child.kind === 'file') !== (child.revision !== null)) {
    throw new CofferCryptoError('BAD_ARGUMENT', 'a file names its current revision, and a folder none');
  }
  const state = concatBytes(
    ...field(uuidToBytes(child.id)),
    ...field(utf8(child.kind)),
    ...field(u32(child.revision?.number ?? 0)),
    ...field(child.revision ? await sha256(child.revision.header) : new Uint8Array(0)),
    ...field(await sha256(child.encryptedMetadata)),
  );
  return { id: child.id, digest: encodeBase64url(await sha256(state)) };
}

/** The entries in the one order the format signs them: by the id's 16 bytes, ascending, each id once. */
function sortedEntries(children: readonly FolderManifestEntry[]): { id: Uint8Array; digest: Uint8Array }[] {
  const entries = children.map((entry) => {
    let digest: Uint8Array | undefined;
    try {
      digest = typeof entry.digest === 'string' ? decodeBase64url(entry.digest) : undefined;
    } catch {
      digest = undefined;
    }
    if (digest?.length !== DIGEST_BYTES) {
      throw new CofferCryptoError(
        'FOLDER_MANIFEST_MALFORMED',
        `a manifest entry's digest is not ${DIGEST_BYTES} bytes in base64url`,
      );
    }
    return { id: entryId(entry.id), digest };
  });
  entries.sort((a, b) => compareBytes(a.id, b.id));
  entries.forEach((entry, i) => {
    if (i > 0 && compareBytes(entries[i - 1]!.id, entry.id) === 0) {
      throw new CofferCryptoError('FOLDER_MANIFEST_MALFORMED', `a manifest names ${bytesToUuid(entry.id)} twice`);
    }
  });
  return entries;
}

function entryId(id: unknown): Uint8Array {
  if (!isCanonicalUuid(id)) {
    throw new CofferCryptoError('FOLDER_MANIFEST_MALFORMED', "a manifest entry's id is not a UUID in lower case");
  }
  return uuidToBytes(id);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function checkVersion(version: unknown): number {
  if (!Number.isInteger(version) || (version as number) < 1 || (version as number) > MAX_MANIFEST_VERSION) {
    throw new CofferCryptoError(
      'FOLDER_MANIFEST_MALFORMED',
      `a manifest's version is not an integer from 1 to ${MAX_MANIFEST_VERSION}`,
    );
  }
  return version as number;
}

/**
 * The bytes a writer signs (docs/FORMAT.md section 5.3): the label, the format version, then the folder, owner and
 * writer ids, the manifest's version, and the SHA-256 of the children: a u32 count, then each entry's 16-byte id and
 * 32-byte digest, sorted by id.
 */
export async function manifestSignedBytes(statement: FolderManifestStatement): Promise<Uint8Array<ArrayBuffer>> {
  const version = checkVersion(statement.version);
  const entries = sortedEntries(statement.children);
  const children = await sha256(
    concatBytes(u32(entries.length), ...entries.flatMap((entry) => [entry.id, entry.digest])),
  );
  const fields = [
    uuidToBytes(statement.folderId),
    uuidToBytes(statement.ownerId),
    uuidToBytes(statement.writerId),
    u32(version),
    children,
  ];
  return concatBytes(
    utf8(LABEL_FOLDER_MANIFEST),
    u8(0),
    u8(FOLDER_MANIFEST_VERSION),
    ...fields.flatMap((bytes) => field(bytes)),
  );
}

/** Signs a folder's manifest with the writer's ECDSA P-256 signing private key. */
export async function signFolderManifest(
  statement: FolderManifestStatement,
  signingKey: CryptoKey,
): Promise<FolderManifest> {
  const signed = await manifestSignedBytes(statement);
  const signature = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, signed));
  return {
    version: statement.version,
    writerId: statement.writerId,
    children: [...statement.children],
    signature: encodeBase64url(signature),
  };
}

/**
 * Checks that the writer's key signed this manifest for this folder of this owner. FOLDER_MANIFEST_MALFORMED for one
 * that is not well formed; FOLDER_MANIFEST_INVALID, whichever field differs, for one that does not verify.
 */
export async function verifyFolderManifest(
  manifest: FolderManifest,
  folder: { folderId: string; ownerId: string },
  writerSigningKey: Uint8Array,
): Promise<void> {
  const value = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as Partial<FolderManifest>;
  if (!Array.isArray(value.children) || typeof value.writerId !== 'string') {
    throw new CofferCryptoError(
      'FOLDER_MANIFEST_MALFORMED',
      'a manifest is { version, writerId, children, signature }',
    );
  }
  let signature: Uint8Array<ArrayBuffer> | undefined;
  try {
    signature = typeof value.signature === 'string' ? own(decodeBase64url(value.signature)) : undefined;
  } catch {
    signature = undefined;
  }
  if (signature?.length !== SIGNATURE_BYTES) {
    throw new CofferCryptoError(
      'FOLDER_MANIFEST_MALFORMED',
      `a manifest signature is not ${SIGNATURE_BYTES} bytes (r || s) in base64url`,
    );
  }
  const signed = await manifestSignedBytes({
    ...folder,
    writerId: writerIdOf(value.writerId),
    version: value.version as number,
    children: value.children,
  });
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', own(writerSigningKey), ECDSA_P256, false, ['verify']);
  } catch {
    throw new CofferCryptoError('BAD_KEY', `the writer's signing key is not a P-256 public key in SPKI form`);
  }
  if (!(await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature, signed))) {
    throw new CofferCryptoError(
      'FOLDER_MANIFEST_INVALID',
      `the manifest of folder ${folder.folderId} does not verify with the signing key of ${value.writerId}: this account did not sign this state of the folder`,
    );
  }
}

function writerIdOf(writerId: string): string {
  if (!isCanonicalUuid(writerId)) {
    throw new CofferCryptoError('FOLDER_MANIFEST_MALFORMED', "a manifest's writer is not an account id in lower case");
  }
  return writerId;
}
