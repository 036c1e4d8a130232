/**
 * Builds downloads from what the user picked: one file as itself; several files, or any folder, as one zip whose
 * paths mirror the folders. Folders are walked on the device, opening every child as the listing does.
 */
import type { ChildrenResponse } from '$shared/api/responses.ts';
import { api } from '../api.ts';
import type { DownloadEntry, DownloadJob } from '../download/download-job.ts';
import type { KeyRing } from './key-ring.ts';
import type { OpenNode, RevisionRecord } from './node-records.ts';
import { requireKey } from './tree-actions.ts';

export function fileEntry(ring: KeyRing, node: OpenNode, path: string, revision = node.revision): DownloadEntry {
  if (!revision) throw new Error(`"${node.name}" has no content yet.`);
  return {
    path,
    revisionId: revision.id,
    nodeId: node.id,
    revision: revision.number,
    fileKey: requireKey(ring, node.id),
    size: node.size,
    modified: node.modified,
    type: node.type,
  };
}

/** One version of one file, saved under the file's name. */
export function versionJob(ring: KeyRing, node: OpenNode, revision: RevisionRecord, size: number): DownloadJob {
  return {
    id: crypto.randomUUID(),
    name: node.name,
    zip: false,
    entries: [{ ...fileEntry(ring, node, node.name, revision), size }],
    folders: [],
  };
}

export async function downloadJob(ring: KeyRing, nodes: OpenNode[]): Promise<DownloadJob> {
  const id = crypto.randomUUID();
  const [only] = nodes;
  if (nodes.length === 1 && only?.kind === 'file') {
    return { id, name: only.name, zip: false, entries: [fileEntry(ring, only, only.name)], folders: [] };
  }
  const entries: DownloadEntry[] = [];
  const folders: string[] = [];
  for (const node of nodes) await collect(ring, node, '', entries, folders);
  const name = nodes.length === 1 && only ? `${only.name}.zip` : 'Coffer files.zip';
  return { id, name, zip: true, entries, folders };
}

async function collect(
  ring: KeyRing,
  node: OpenNode,
  prefix: string,
  entries: DownloadEntry[],
  folders: string[],
): Promise<void> {
  const path = prefix + node.name;
  if (node.kind === 'file') {
    if (node.revision) entries.push(fileEntry(ring, node, path));
    return;
  }
  folders.push(`${path}/`);
  const records = (await api<ChildrenResponse>('GET', `/api/nodes/${node.id}/children`)).children;
  const { opened, refused } = await ring.openChildren(node.id, records);
  // A child that fails its integrity check stops the download with its reason: a zip must not silently lack a file.
  if (refused[0]) throw refused[0];
  for (const child of opened) await collect(ring, child, `${path}/`, entries, folders);
}
