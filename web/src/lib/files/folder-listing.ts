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
import { checkManifest, manifestWarnings, type ListedFolder } from '../integrity/folder-manifest-check.ts';
import { withRoster } from '../integrity/editor-roster-check.ts';
import type { SeenVersions } from '../integrity/seen-versions.ts';
import { checkAuthors, type AuthorRules } from './node-authors.ts';
import type { OpenNode } from './node-records.ts';
import { TamperedNodeError } from './open-record.ts';

export type { Opened } from './key-ring.ts';

/**
 * A folder's children. Given the rules of who may write there (author-rules.ts), each signed child is shown only if
 * its author's signature verifies, and names its author (node-authors.ts); without them no author is named. Given
 * also this device's memory of the versions it has seen, the listing is checked against the folder's signed manifest
 * (folder-manifest-check.ts): a child it does not name as listed is refused, and `warnings` say, in plain words, when
 * the server showed an older state of the folder or left out children the manifest names. A writer whose device
 * signed writes there that the manifest never came to name (the tab closed between the write and its re-sign)
 * re-signs them first, each only in the state it signed (integrity/pending-writes.ts). `unsigned` says the folder has
 * no manifest yet.
 */
export async function listChildren(
  ring: KeyRing,
  folderId: string,
  authors?: AuthorRules,
  seen?: SeenVersions,
): Promise<Opened & { warnings: string[]; unsigned: boolean }> {
  if (!authors) {
    const { children } = await api<ChildrenResponse>('GET', `/api/nodes/${folderId}/children`);
    return { ...(await ring.openChildren(folderId, children)), warnings: [], unsigned: false };
  }
  return listChecked(ring, folderId, authors, seen, true);
}

async function listChecked(
  ring: KeyRing,
  folderId: string,
  authors: AuthorRules,
  seen: SeenVersions | undefined,
  mayResign: boolean,
): Promise<Opened & { warnings: string[]; unsigned: boolean }> {
  const listed = await listWithAuthors(ring, folderId, authors, seen);
  const { folder, checked, rules, rosterProblem } = listed;
  const rosterWarnings = rosterProblem ? [rosterProblem] : [];
  if (!seen || !folder) return { ...checked, warnings: rosterWarnings, unsigned: false };
  const findings = await checkManifest(folder, checked, rules, seen);
  if (mayResign && findings.refused.length > 0 && !findings.older && !findings.untrusted) {
    // Not re-signed (none pending, or the server refused or went away): they stay refused, and the next visit tries
    // again.
    const refusedIds = new Set(findings.refused.map((error) => error.nodeId));
    const refused = folder.records.filter((record) => refusedIds.has(record.id));
    const resigned = await ring.resignPending(folderId, refused).catch(() => false);
    if (resigned) return listChecked(ring, folderId, authors, seen, false);
  }
  const { opened, refused } = findings;
  return { opened, refused, warnings: [...rosterWarnings, ...manifestWarnings(findings)], unsigned: !folder.manifest };
}

/**
 * A folder's children opened and their authors checked, before its manifest is: what listChildren checks against the
 * manifest, and what a writer re-signs it from (folder-manifest-signer.ts), with what `seen` remembered of the folder
 * before the listing. `folder` is null outside a known tree. For a member, the editors its share's roster names, when
 * it verifies, are writers too (`rules`, which the manifest is checked by); `rosterProblem` says why it was not used.
 */
export async function listWithAuthors(
  ring: KeyRing,
  folderId: string,
  authors: AuthorRules,
  seen?: SeenVersions,
): Promise<{ folder: ListedFolder | null; checked: Opened; rules: AuthorRules; rosterProblem: string | null }> {
  // Read before the listing: a version remembered while it is on its way is newer than what it shows.
  const seenBefore = await seen?.highest('folder', folderId);
  const { children, manifest, editorRoster } = await api<ChildrenResponse>('GET', `/api/nodes/${folderId}/children`);
  const { rules, problem } = authors.roster
    ? await withRoster(authors, authors.roster, editorRoster ?? null, seen)
    : { rules: authors, problem: null };
  const checked = await checkAuthors(await ring.openChildren(folderId, children), children, rules);
  const ownerId = ring.ownerOf(folderId);
  const folder = ownerId ? { id: folderId, ownerId, records: children, manifest, seenBefore } : null;
  return { folder, checked, rules, rosterProblem: problem };
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
