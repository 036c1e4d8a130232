/** What the file browser lists: a node, a folder's children, a node's path, recent files, the trash, a file's versions. */
import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import type {
  ChildrenResponse,
  NodeRecord,
  PathResponse,
  RecentResponse,
  RevisionsResponse,
  TrashResponse,
} from '../../shared/api/responses.ts';
import { authorizeNode, nodesIn, ownTree, revisionsIn, type Actor } from '../access/policy.ts';
import { nodes, revisions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { revisionJson } from '../revisions/revision-json.ts';
import { rosterOfScope } from './editor-rosters.ts';
import { storedManifest } from './folder-manifests.ts';
import { describeNode, nodeJson, nodeWithRevisionJson } from './node-json.ts';
import { idList, recentLiveFiles, trashedNodes, trashedParentIds, withAncestors } from './tree-queries.ts';

/** How many recent files GET /api/nodes/recent lists, unless asked for another number up to `max`. */
export const RECENT_LIMIT = { default: 20, max: 100 };

export async function readNode({ db }: ServerDeps, actor: Actor, nodeId: string): Promise<NodeRecord> {
  return describeNode(db, (await authorizeNode(db, actor, nodeId, 'read')).node);
}

/** A folder's live children, oldest first, with its latest signed manifest and, for a member, its share's roster. */
export async function listChildren({ db }: ServerDeps, actor: Actor, folderId: string): Promise<ChildrenResponse> {
  const { node: folder, scope } = await authorizeNode(db, actor, folderId, 'read');
  if (folder.kind !== 'folder') throw new ApiError(409, 'NOT_A_FOLDER', `node ${folder.id} is a file`);
  const rows = await db
    .select()
    .from(nodes)
    .leftJoin(revisions, eq(revisions.id, nodes.currentRevisionId))
    .where(and(eq(nodes.parentId, folder.id), nodesIn(scope), isNull(nodes.trashedAt)))
    .orderBy(asc(nodes.createdAt), asc(nodes.id));
  return {
    children: rows.map((row) => nodeJson(row.nodes, row.revisions)),
    manifest: await storedManifest(db, folder.id),
    editorRoster: await rosterOfScope(db, scope),
  };
}

/** The node and its ancestors, from the root down; through a share, from the shared node down. */
export async function nodePath({ db }: ServerDeps, actor: Actor, nodeId: string): Promise<PathResponse> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'read');
  const path = await withAncestors(db, scope, idList([node.id]));
  return { path: path.map(nodeWithRevisionJson) };
}

export async function recentFiles({ db }: ServerDeps, actor: Actor, limit: number): Promise<RecentResponse> {
  const scope = ownTree(actor);
  const recent = await recentLiveFiles(db, scope, limit);
  const ancestors = await withAncestors(db, scope, idList(recent.map(({ node }) => node.parentId)));
  return { nodes: recent.map(nodeWithRevisionJson), ancestors: ancestors.map(nodeWithRevisionJson) };
}

export async function listTrash({ db }: ServerDeps, actor: Actor): Promise<TrashResponse> {
  const scope = ownTree(actor);
  const trashed = await trashedNodes(db, scope);
  // The client unwraps keys from the root down to read a trashed node's name, whatever state its folders are in.
  const ancestors = await withAncestors(db, scope, trashedParentIds(scope));
  return { trashed: trashed.map(nodeWithRevisionJson), ancestors: ancestors.map(nodeWithRevisionJson) };
}

/** A file's completed revisions, oldest first. */
export async function listRevisions({ db }: ServerDeps, actor: Actor, nodeId: string): Promise<RevisionsResponse> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'read');
  const rows = await db
    .select()
    .from(revisions)
    .where(and(eq(revisions.nodeId, node.id), revisionsIn(scope), isNotNull(revisions.completedAt)))
    .orderBy(asc(revisions.number));
  return { revisions: rows.map(revisionJson) };
}
