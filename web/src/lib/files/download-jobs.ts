/**
 * Builds downloads from what the user picked: one file as itself; several files, or any folder, as one zip whose
 * paths mirror the folders; or the whole tree, as the export of everything. Folders are walked on the device, listed
 * as the file browser lists them (folder-listing.ts): a child that fails its checks is left out of the zip and
 * counted, for the page to report.
 */
import type { DownloadEntry, DownloadJob, LinkSource } from '../download/download-job.ts';
import { listChildren } from './folder-listing.ts';
import type { KeyRing, Opened } from './key-ring.ts';
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

/**
 * Where a download's folders are listed and its files fetched from: the account's own API, or a share link's
 * (src/lib/links/link-visit.ts), whose files carry the link.
 */
export interface DownloadSource {
  list: (ring: KeyRing, folderId: string) => Promise<Opened>;
  link?: LinkSource;
}

const ACCOUNT: DownloadSource = { list: listChildren };

/**
 * `refused`: how many items of the folders walked failed their checks and are not in the zip. `zip`: a zip even of one
 * file, for a button that says it makes one.
 */
export async function downloadJob(
  ring: KeyRing,
  nodes: OpenNode[],
  source: DownloadSource = ACCOUNT,
  { zip = false }: { zip?: boolean } = {},
): Promise<{ job: DownloadJob; refused: number }> {
  const id = crypto.randomUUID();
  const [only] = nodes;
  const withLink = (entry: DownloadEntry): DownloadEntry => (source.link ? { ...entry, link: source.link } : entry);
  if (nodes.length === 1 && only?.kind === 'file' && !zip) {
    return {
      job: { id, name: only.name, zip: false, entries: [withLink(fileEntry(ring, only, only.name))], folders: [] },
      refused: 0,
    };
  }
  const walk = { entries: [] as DownloadEntry[], folders: [] as string[], refused: 0 };
  for (const node of nodes) await collect(ring, node, '', walk, source);
  walk.entries = walk.entries.map(withLink);
  const name = nodes.length === 1 && only ? `${only.name}.zip` : 'Coffer files.zip';
  return { job: { id, name, zip: true, entries: walk.entries, folders: walk.folders }, refused: walk.refused };
}

/**
 * Everything under the account's root folder, as one zip whose paths start below it ("Photos/a.jpg"): the current
 * revision of every file, and every folder, empty ones too. The trash is not listed under any folder, and items shared
 * with the account live in their owners' trees, so neither is walked.
 */
export async function exportJob(ring: KeyRing, root: OpenNode): Promise<{ job: DownloadJob; refused: number }> {
  const walk = { entries: [] as DownloadEntry[], folders: [] as string[], refused: 0 };
  const { opened, refused } = await ACCOUNT.list(ring, root.id);
  walk.refused += refused.length;
  for (const child of opened) await collect(ring, child, '', walk, ACCOUNT);
  const { entries, folders } = walk;
  return {
    job: { id: crypto.randomUUID(), name: 'Coffer export.zip', zip: true, entries, folders },
    refused: walk.refused,
  };
}

async function collect(
  ring: KeyRing,
  node: OpenNode,
  prefix: string,
  walk: { entries: DownloadEntry[]; folders: string[]; refused: number },
  source: DownloadSource,
): Promise<void> {
  const path = prefix + node.name;
  if (node.kind === 'file') {
    if (node.revision) walk.entries.push(fileEntry(ring, node, path));
    return;
  }
  walk.folders.push(`${path}/`);
  const { opened, refused } = await source.list(ring, node.id);
  walk.refused += refused.length;
  for (const child of opened) await collect(ring, child, `${path}/`, walk, source);
}
