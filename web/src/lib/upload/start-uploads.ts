/**
 * Turns picked files into upload tasks in a folder: makes the folders they came in, and sends a file whose name is
 * taken by a file already there as a new version of it, as Dropbox and Nextcloud do.
 */
import { generateNodeKey, wrapNodeKey } from '$shared/crypto/index.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { OpenNode } from '../files/node-records.ts';
import { createFolder, requireKey, requireOwner } from '../files/tree-actions.ts';
import type { PickedFile } from './picked-files.ts';
import { namedUploads } from './upload-names.ts';
import { UploadTask } from './upload-task.svelte.ts';
import { uploads } from './uploads.svelte.ts';

export async function startUploads(
  ring: KeyRing,
  folder: OpenNode,
  siblings: OpenNode[],
  picked: PickedFile[],
): Promise<void> {
  const folders = new Map<string, string>([['', folder.id]]);
  const takenHere = new Set(siblings.map((node) => node.name));
  // By name, as a folder of thousands would make finding each file's namesake among its siblings quadratic.
  const filesHere = new Map<string, OpenNode>();
  for (const node of siblings) if (node.kind === 'file' && !filesHere.has(node.name)) filesHere.set(node.name, node);
  const tasks: UploadTask[] = [];
  for (const { file, folders: parts, name } of namedUploads(picked)) {
    const parentId = await ensureFolders(ring, folders, parts, takenHere);
    const existing = parentId === folder.id ? filesHere.get(name) : undefined;
    tasks.push(
      existing
        ? new UploadTask(file, name, newVersionOf(ring, existing), () => uploads.taskDone())
        : new UploadTask(file, name, newFileIn(ring, parentId), () => uploads.taskDone()),
    );
  }
  uploads.add(tasks);
}

/** Makes each folder of a path once per batch; a top folder whose name is taken gets " (2)", " (3)"... */
async function ensureFolders(
  ring: KeyRing,
  folders: Map<string, string>,
  parts: string[],
  takenHere: Set<string>,
): Promise<string> {
  let path = '';
  let parentId = folders.get('')!;
  for (const part of parts) {
    path = path ? `${path}/${part}` : part;
    let id = folders.get(path);
    if (!id) {
      const name = path === part ? freeName(part, takenHere) : part;
      takenHere.add(name);
      id = (await createFolder(ring, parentId, name)).id;
      folders.set(path, id);
    }
    parentId = id;
  }
  return parentId;
}

function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) if (!taken.has(`${name} (${n})`)) return `${name} (${n})`;
}

function newFileIn(ring: KeyRing, parentId: string) {
  const nodeId = crypto.randomUUID();
  const fileKey = generateNodeKey();
  const ownerId = requireOwner(ring, parentId);
  const place = { ownerId, nodeId, parentId, kind: 'file' as const };
  const folderKey = requireKey(ring, parentId);
  const wrappedKey = () => wrapNodeKey(folderKey, fileKey, place);
  return {
    ownerId,
    nodeId,
    parentId,
    fileKey,
    revision: 1,
    wrappedKey,
    sign: ring.sign.bind(ring),
    folderChanged: ring.folderChanged.bind(ring),
  };
}

function newVersionOf(ring: KeyRing, file: OpenNode) {
  return {
    ownerId: file.ownerId,
    nodeId: file.id,
    parentId: file.parentId!,
    fileKey: requireKey(ring, file.id),
    revision: (file.revision?.number ?? 0) + 1,
    sign: ring.sign.bind(ring),
    folderChanged: ring.folderChanged.bind(ring),
  };
}
