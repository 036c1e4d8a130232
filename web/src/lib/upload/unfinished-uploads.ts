/**
 * Uploads the server holds unfinished (after a reload, a crash or a closed tab). Each is opened on the device like a
 * node: a new file's key and metadata under its folder's key, a new version's under the file's own. The browser
 * cannot read a file again without the user, so resuming asks for the same file once more and checks it matches.
 */
import type { FileMetadata } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { NodeRecord, OpenNode } from '../files/node-records.ts';
import { requireKey } from '../files/tree-actions.ts';
import { UploadTask } from './upload-task.svelte.ts';
import { uploads } from './uploads.svelte.ts';

interface UploadRecord {
  uploadId: string;
  nodeId: string;
  revision: number;
  chunkCount: number;
  received: number[];
  createdAt?: string;
  newFile: { parentId: string; wrappedKey: string; encryptedMetadata: string } | null;
}

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

export async function listUnfinished(ring: KeyRing, running: Set<string>): Promise<UnfinishedUpload[]> {
  const { uploads: records } = await api<{ uploads: UploadRecord[] }>('GET', '/api/uploads');
  const listed: UnfinishedUpload[] = [];
  for (const record of records) {
    if (running.has(record.uploadId)) continue;
    const unfinished = await open(ring, record).catch(() => null);
    if (unfinished) listed.push(unfinished);
  }
  return listed;
}

async function open(ring: KeyRing, record: UploadRecord): Promise<UnfinishedUpload> {
  const anchorId = record.newFile ? record.newFile.parentId : record.nodeId;
  const path = (await api<{ path: NodeRecord[] }>('GET', `/api/nodes/${anchorId}/path`)).path;
  let anchor: OpenNode | undefined;
  for (const step of path) anchor = await ring.open(step);
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
      })
    : anchor!;
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
    ownerId: ring.ownerId,
    nodeId: upload.node.id,
    parentId: upload.node.parentId!,
    fileKey: requireKey(ring, upload.node.id),
    revision: upload.revision,
    ...(wrappedKey ? { wrappedKey: () => Promise.resolve(wrappedKey) } : {}),
  };
  uploads.add([new UploadTask(file, upload.node.name, target, () => uploads.taskDone(), upload.uploadId)]);
}

export async function discard(upload: UnfinishedUpload): Promise<void> {
  await api('DELETE', `/api/uploads/${upload.uploadId}`);
}
