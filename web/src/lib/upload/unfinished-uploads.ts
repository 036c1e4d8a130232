/**
 * Uploads the server holds unfinished (after a reload, a crash or a closed tab). Each is opened on the device like a
 * node: a new file's key and metadata under its folder's key, a new version's under the file's own. The browser
 * cannot read a file again without the user, so resuming asks for the same file once more and checks it matches.
 */
import type { UploadRecord, UploadsResponse } from '$shared/api/responses.ts';
import type { FileMetadata } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { KeyRing } from '../files/key-ring.ts';
import { openPath } from '../files/folder-listing.ts';
import type { OpenNode } from '../files/node-records.ts';
import { TamperedNodeError } from '../files/open-record.ts';
import { requireKey } from '../files/tree-actions.ts';
import { UploadTask } from './upload-task.svelte.ts';
import { uploads } from './uploads.svelte.ts';

export interface UnfinishedUpload {
  uploadId: string;
  /** What the upload will make: the new file, or the file it adds a version to. */
  node: OpenNode;
  expected: Pick<FileMetadata, 'name' | 'size' | 'modified'>;
  revision: number;
  newFile: boolean;
  wrappedKey: string | undefined;
  /** Fraction of chunks the server holds. */
  progress: number;
}

/**
 * `refused`: how many failed their checks, opened as a folder's children are (folder-listing.ts), and are not shown.
 * An upload whose folder is gone is left out quietly, as nothing can resume it.
 */
export async function listUnfinished(
  ring: KeyRing,
  running: Set<string>,
): Promise<{ listed: UnfinishedUpload[]; refused: number }> {
  const { uploads: records } = await api<UploadsResponse>('GET', '/api/uploads');
  const listed: UnfinishedUpload[] = [];
  let refused = 0;
  for (const record of records) {
    if (running.has(record.uploadId)) continue;
    try {
      listed.push(await open(ring, record));
    } catch (error) {
      if (error instanceof TamperedNodeError) refused++;
    }
  }
  return { listed, refused };
}

async function open(ring: KeyRing, record: UploadRecord): Promise<UnfinishedUpload> {
  const path = await openPath(ring, record.newFile ? record.newFile.parentId : record.nodeId);
  const node = record.newFile
    ? await ring.open({
        id: record.nodeId,
        parentId: record.newFile.parentId,
        kind: 'file',
        wrappedKey: record.newFile.wrappedKey,
        encryptedMetadata: record.newFile.encryptedMetadata,
        currentRevision: null,
        createdAt: '',
        updatedAt: new Date().toISOString(),
        trashedAt: null,
        // The server has no node yet to say who made it; this account is uploading it.
        authorId: null,
        requestLinkId: null,
        authorSignature: null,
      })
    : path.at(-1)!;
  return {
    uploadId: record.uploadId,
    node,
    expected: { name: node.name, size: node.size, modified: node.modified },
    revision: record.revision,
    newFile: record.newFile !== null,
    wrappedKey: record.newFile?.wrappedKey,
    progress: record.received.length / record.chunkCount,
  };
}

/** Why this file cannot resume that upload, or null when it can. A new version's size is not known in advance. */
export function mismatch(upload: UnfinishedUpload, file: File): string | null {
  if (!upload.newFile) return null;
  if (file.size !== upload.expected.size || file.lastModified !== upload.expected.modified) {
    return `This is not the same file: “${upload.expected.name}” was ${upload.expected.size} bytes.`;
  }
  return null;
}

export function resume(ring: KeyRing, upload: UnfinishedUpload, file: File): void {
  const { wrappedKey } = upload;
  const target = {
    ownerId: upload.node.ownerId,
    nodeId: upload.node.id,
    parentId: upload.node.parentId!,
    fileKey: requireKey(ring, upload.node.id),
    revision: upload.revision,
    sign: ring.sign.bind(ring),
    folderChanged: ring.folderChanged.bind(ring),
    ...(wrappedKey ? { wrappedKey: () => Promise.resolve(wrappedKey) } : {}),
  };
  uploads.add([new UploadTask(file, upload.node.name, target, () => uploads.taskDone(), upload.uploadId)]);
}

export async function discard(upload: UnfinishedUpload): Promise<void> {
  await api('DELETE', `/api/uploads/${upload.uploadId}`);
}
