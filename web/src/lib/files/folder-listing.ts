/**
 * The one way the app opens folders: a folder's children, the path down to a folder, and nodes of several folders
 * (the recent files, the trash). Each listing answers what opened and what was refused; a record that fails its checks
 * (a key or metadata that does not authenticate for its id, parent and owner, a record listed under a folder it does
 * not claim, a folder that leads to no anchor) is counted, never shown, and never stops the rest.
 * RefusedNotice.svelte says how many.
 */
import type { ChildrenResponse, PathResponse, RecentResponse, TrashResponse } from '$shared/api/responses.ts';
import { api } from '../api.ts';
import type { KeyRing, Opened } from './key-ring.ts';
import { checkAuthors, type AuthorRules } from './node-authors.ts';
import type { OpenNode } from './node-records.ts';
import { TamperedNodeError } from './open-record.ts';

export type { Opened } from './key-ring.ts';

/**
 * A folder's children. Given the rules of who may write there (author-rules.ts), each signed child is shown only if
 * its author's signature verifies, and names its author (node-authors.ts); without them no author is named.
 */
export async function listChildren(ring: KeyRing, folderId: string, authors?: AuthorRules): Promise<Opened> {
  const { children } = await api<ChildrenResponse>('GET', `/api/nodes/${folderId}/children`);
  const opened = await ring.openChildren(folderId, children);
  return authors ? checkAuthors(opened, children, authors) : opened;
}

/**
 * The folders from an anchor down to this one, each the parent of the next. Unlike a listing, a path has no rest to
 * show: a step that fails stops it (TamperedNodeError), as the folder it leads to cannot be opened.
 */
export async function openPath(ring: KeyRing, nodeId: string): Promise<OpenNode[]> {
  const { path: records } = await api<PathResponse>('GET', `/api/nodes/${nodeId}/path`);
  const path: OpenNode[] = [];
  for (const record of records) {
    const above = path.at(-1);
    if (above && record.parentId !== above.id) {
      throw new TamperedNodeError(record.id, 'the server gave a path whose folders do not hold one another');
    }
    path.push(await ring.open(record));
  }
  if (path.at(-1)?.id !== nodeId) throw new Error('The server did not give the path to this folder.');
  return path;
}

/** The latest files of every folder, newest first, each opened through the folders above it. */
export async function listRecent(ring: KeyRing, limit: number): Promise<Opened> {
  const { nodes, ancestors } = await api<RecentResponse>('GET', `/api/nodes/recent?limit=${limit}`);
  const { opened, refused } = await ring.openScattered(nodes, ancestors);
  return { opened, refused };
}

/** What is in the trash, newest first, and the folders it came from that opened. */
export async function listTrash(ring: KeyRing): Promise<Opened & { folders: Map<string, OpenNode> }> {
  const { trashed, ancestors } = await api<TrashResponse>('GET', '/api/trash');
  return ring.openScattered(trashed, ancestors);
}
