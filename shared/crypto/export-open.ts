/**
 * Opening an encrypted export archive with the recovery code alone (docs/FORMAT.md section 7), in the order the
 * section gives: the master key from the archive's recovery wrap, the manifest under the key it derives, every
 * entry's size and SHA-256 against the manifest, and only then the tree, each node under its parent's key and each
 * file's stream under its own. How the archive is read and where the tree goes are the caller's (cli/export/).
 */
import { fromUtf8 } from './bytes.ts';
import { decodeBase64url } from './base64url.ts';
import { CofferCryptoError } from './errors.ts';
import { parseRecoveryCode, recoveryWrappingSecret, unwrapMasterKey } from './account.ts';
import { decryptByteStream } from './byte-stream-decrypt.ts';
import {
  EXPORT_ENTRIES,
  exportInvalid,
  exportManifestKey,
  openManifest,
  streamEntryName,
  STREAM_ENTRY_PREFIX,
  type ExportAccount,
  type ExportNode,
  type ExportNodes,
} from './export-archive.ts';
import { EXPORT_VERSION } from './labels.ts';
import { decryptMetadata, unwrapNodeKey, type NodeKind, type NodePlace } from './tree.ts';
import { uuidToBytes } from './uuid.ts';

/** The archive's entries as its container (a zip) holds them; nothing here is trusted until the manifest says so. */
export interface ArchiveReader {
  names: readonly string[];
  size(name: string): number;
  /** A small entry, whole. */
  bytes(name: string): Promise<Uint8Array>;
  stream(name: string): ReadableStream<Uint8Array>;
  /** Lower-case hex of the entry's SHA-256. */
  sha256(name: string): Promise<string>;
}

/** Where the opened tree goes: names of the folders from the root's children down, then the node's own. */
export interface TreeWriter {
  folder(path: string[]): Promise<void>;
  file(path: string[], content: ReadableStream<Uint8Array>, modified: number): Promise<void>;
}

export interface OpenedArchive {
  userId: string;
  folders: number;
  files: number;
}

const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function openExportArchive(
  reader: ArchiveReader,
  recoveryCode: string,
  writer: TreeWriter,
): Promise<OpenedArchive> {
  const recoveryKey = parseRecoveryCode(recoveryCode);
  if (!reader.names.includes(EXPORT_ENTRIES.manifest) || !reader.names.includes(EXPORT_ENTRIES.account)) {
    throw exportInvalid(`it lacks its "${EXPORT_ENTRIES.account}" or "${EXPORT_ENTRIES.manifest}" entry`);
  }
  const account = readJson(await reader.bytes(EXPORT_ENTRIES.account), EXPORT_ENTRIES.account) as ExportAccount;
  if (account?.version !== EXPORT_VERSION || typeof account.userId !== 'string' || !LOWER_UUID.test(account.userId))
    throw exportInvalid(`its "${EXPORT_ENTRIES.account}" is not a version ${EXPORT_VERSION} account record`);
  const { userId } = account;
  let masterKey: Uint8Array;
  try {
    const wrap = account.recoveryWrap;
    const secret = await recoveryWrappingSecret(recoveryKey, decodeBase64url(wrap.salt));
    masterKey = await unwrapMasterKey(secret, wrap.wrapped, userId, 'recovery');
  } catch (error) {
    if (!(error instanceof CofferCryptoError || error instanceof TypeError)) throw error;
    throw new CofferCryptoError(
      'EXPORT_LOCKED',
      'the recovery code does not open this archive: it is not the code the account had when the archive was made, ' +
        'or the archive was altered',
    );
  }

  let manifestToken: string;
  try {
    manifestToken = fromUtf8(await reader.bytes(EXPORT_ENTRIES.manifest));
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw exportInvalid(`its "${EXPORT_ENTRIES.manifest}" is not text`);
  }
  const manifest = await openManifest(await exportManifestKey(masterKey), manifestToken, userId);
  const listed = new Set(manifest.entries.map((entry) => entry.name));
  const present = new Set(reader.names);
  if (listed.size !== manifest.entries.length || listed.has(EXPORT_ENTRIES.manifest))
    throw exportInvalid('its manifest lists an entry twice');
  for (const [index, name] of reader.names.entries()) {
    if (name !== EXPORT_ENTRIES.manifest && !listed.has(name))
      throw exportInvalid(`its entry number ${index + 1} is not one its manifest lists`);
  }
  for (const entry of manifest.entries) {
    if (!present.has(entry.name)) throw exportInvalid(`it lacks "${entry.name}", which its manifest lists`);
    if (reader.size(entry.name) !== entry.size || (await reader.sha256(entry.name)) !== entry.sha256)
      throw exportInvalid(`its entry "${entry.name}" is not the one its manifest lists`);
  }
  if (!listed.has(EXPORT_ENTRIES.nodes)) throw exportInvalid(`its manifest lists no "${EXPORT_ENTRIES.nodes}"`);

  const tree = readJson(await reader.bytes(EXPORT_ENTRIES.nodes), EXPORT_ENTRIES.nodes) as ExportNodes;
  return { userId, ...(await openTree(tree, userId, masterKey, reader, writer)) };
}

/** Every folder before what it holds, as the writer wrote them; names that clash in a folder get " (2)" and on. */
async function openTree(
  tree: ExportNodes,
  userId: string,
  masterKey: Uint8Array,
  reader: ArchiveReader,
  writer: TreeWriter,
): Promise<{ folders: number; files: number }> {
  if (tree?.version !== EXPORT_VERSION || !Array.isArray(tree.nodes))
    throw exportInvalid(`its "${EXPORT_ENTRIES.nodes}" is not a version ${EXPORT_VERSION} tree`);
  const folders = new Map<string, { key: Uint8Array; path: string[]; taken: Set<string> }>();
  const present = new Set(reader.names);
  const streams = new Set<string>();
  let files = 0;
  for (const [index, node] of tree.nodes.entries()) {
    checkNode(node, tree.rootId, index);
    if (folders.has(node.id)) throw exportInvalid(`its tree gives node ${node.id} twice`);
    const parent = node.parentId === null ? undefined : folders.get(node.parentId);
    if (node.parentId !== null && !parent)
      throw exportInvalid(`node ${node.id} comes before its folder, or its folder is not in the tree`);
    const place: NodePlace = { ownerId: userId, nodeId: node.id, parentId: node.parentId, kind: node.kind };
    const key = await unwrapNodeKey(parent ? parent.key : masterKey, node.wrappedKey, place);
    const encrypted = decodeBase64url(node.encryptedMetadata);
    if (node.kind === 'folder') {
      const { name } = await decryptMetadata(key, { ...place, kind: 'folder' }, encrypted);
      const path = parent ? [...parent.path, uniqueName(name, parent.taken)] : [];
      folders.set(node.id, { key, path, taken: new Set() });
      if (parent) await writer.folder(path);
      continue;
    }
    const metadata = await decryptMetadata(key, { ...place, kind: 'file' }, encrypted);
    if (node.revision === null) continue;
    if (metadata.revision !== node.revision)
      throw exportInvalid(`file ${node.id}'s details describe version ${metadata.revision}, not ${node.revision}`);
    const name = streamEntryName(node.id);
    if (!present.has(name)) throw exportInvalid(`it lacks the content of file ${node.id}`);
    streams.add(name);
    const content = decryptByteStream(reader.stream(name), {
      fileKey: key,
      expected: { fileId: uuidToBytes(node.id), revision: node.revision },
    }).pipeThrough(exactLength(metadata.size, node.id));
    await writer.file([...parent!.path, uniqueName(metadata.name, parent!.taken)], content, metadata.modified);
    files++;
  }
  if (!folders.has(tree.rootId)) throw exportInvalid('its tree has no root folder');
  for (const name of reader.names) {
    if (name.startsWith(STREAM_ENTRY_PREFIX) && !streams.has(name))
      throw exportInvalid('it holds file content that belongs to no file of its tree');
  }
  return { folders: folders.size - 1, files };
}

function checkNode(node: ExportNode, rootId: string, index: number): void {
  const kinds: NodeKind[] = ['folder', 'file'];
  const ok =
    typeof node === 'object' &&
    node !== null &&
    typeof node.id === 'string' &&
    LOWER_UUID.test(node.id) &&
    kinds.includes(node.kind) &&
    typeof node.wrappedKey === 'string' &&
    typeof node.encryptedMetadata === 'string' &&
    (node.revision === null || (Number.isSafeInteger(node.revision) && node.kind === 'file')) &&
    // Only the root has no parent, and the root is a folder.
    (node.parentId === null) === (node.id === rootId) &&
    (node.parentId !== null || node.kind === 'folder');
  if (!ok) throw exportInvalid(`node number ${index + 1} of its tree is not well formed`);
}

/** `name`, or the first of "base (2).ext", "base (3).ext"... not yet taken in this folder; taken from then on. */
export function uniqueName(name: string, taken: Set<string>): string {
  const dot = name.lastIndexOf('.');
  const [base, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base} (${n})${extension}`;
  taken.add(candidate);
  return candidate;
}

/** The plaintext must be exactly the size the file's authenticated metadata gives. */
function exactLength(size: number, nodeId: string): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(bytes, controller) {
      seen += bytes.length;
      controller.enqueue(bytes);
    },
    flush() {
      if (seen !== size) throw exportInvalid(`file ${nodeId} holds ${seen} bytes, its details say ${size}`);
    },
  });
}

function readJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    throw exportInvalid(`its "${name}" is not JSON`);
  }
}
