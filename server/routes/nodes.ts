/**
 * Folders and files as the server sees them: ids, parent links, wrapped keys and encrypted metadata. Renaming, moving,
 * the trash (trash, restore, purge) and going back to an older revision all change only these; the client does the
 * cryptography (a move re-wraps the node key under the new parent's).
 */
import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import {
  createFolderSchema,
  moveNodeSchema,
  renameNodeSchema,
  setCurrentRevisionSchema,
} from '../../shared/api/schemas.ts';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import type { Database, Queryable } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes, revisions } from '../db/schema.ts';
import type { AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParam, limitQuery, readJson } from '../http/validate.ts';
import {
  accountActor,
  authorizeNode,
  folderIn,
  nodesIn,
  ownTree,
  refuseTrashed,
  revisionsIn,
  usableFolder,
  type Scope,
} from '../access/policy.ts';
import { audit } from '../auth/audit.ts';
import { purgeTrash } from '../nodes/purge.ts';
import { nodeIdTakenError } from '../nodes/taken-ids.ts';
import {
  idList,
  lockTree,
  type NodeRow,
  type NodeWithRevision,
  recentLiveFiles,
  trashedNodes,
  trashedParentIds,
  withAncestors,
} from '../nodes/tree-queries.ts';
import { describeRevision } from './revisions.ts';
import type { ServerDeps } from '../deps.ts';

/** How many recent files GET /api/nodes/recent lists, unless asked for another number up to `max`. */
export const RECENT_LIMIT = { default: 20, max: 100 };

export function nodeRoutes(deps: ServerDeps) {
  const { db, now } = deps;
  return new Hono<AuthEnv>()
    .post('/folders', jsonBodyLimit(), async (c) => {
      const scope = ownTree(accountActor(c.get('user')));
      const request = await readJson(c, createFolderSchema);
      const parentId = request.parentId?.toLowerCase() ?? null;
      try {
        const created = await db.transaction(async (tx) => {
          // Under the tree lock, a purge cannot delete the parent between this check and the insert.
          await lockTree(tx, scope);
          if (parentId) await usableFolder(tx, scope, parentId);
          const [row] = await tx
            .insert(nodes)
            .values({
              id: request.id.toLowerCase(),
              ownerId: scope.ownerId,
              parentId,
              kind: 'folder',
              wrappedKey: request.wrappedKey,
              encryptedMetadata: decodeBase64url(request.encryptedMetadata),
            })
            .returning();
          return row!;
        });
        return c.json(await describeNode(db, created), 201);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (!parentId && (await loadRoot(db, scope))) {
          throw new ApiError(409, 'ROOT_EXISTS', 'this account already has a root folder');
        }
        throw await nodeIdTakenError(db, scope, request.id.toLowerCase());
      }
    })
    .get('/root', async (c) => {
      const root = await loadRoot(db, ownTree(accountActor(c.get('user'))));
      if (!root) throw new ApiError(404, 'NO_ROOT', 'this account has no root folder yet');
      return c.json(await describeNode(db, root));
    })
    .get('/recent', async (c) => {
      // Registered before '/:nodeId', which would otherwise take 'recent' for an id.
      const scope = ownTree(accountActor(c.get('user')));
      const recent = await recentLiveFiles(
        db,
        scope,
        limitQuery(c, { max: RECENT_LIMIT.max, fallback: RECENT_LIMIT.default }),
      );
      const ancestors = await withAncestors(db, scope, idList(recent.map(({ node }) => node.parentId)));
      return c.json({ nodes: recent.map(nodeWithRevisionJson), ancestors: ancestors.map(nodeWithRevisionJson) });
    })
    .get('/:nodeId', async (c) =>
      c.json(
        await describeNode(
          db,
          (await authorizeNode(db, accountActor(c.get('user')), idParam(c, 'nodeId'), 'read')).node,
        ),
      ),
    )
    .patch('/:nodeId', jsonBodyLimit(), async (c) => {
      const request = await readJson(c, renameNodeSchema);
      const { node, scope } = await authorizeNode(db, accountActor(c.get('user')), idParam(c, 'nodeId'), 'write');
      const nodeId = node.id;
      const [updated] = await db
        .update(nodes)
        .set({ encryptedMetadata: decodeBase64url(request.encryptedMetadata), updatedAt: now() })
        .where(and(eq(nodes.id, nodeId), nodesIn(scope)))
        .returning();
      if (!updated) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
      return c.json(await describeNode(db, updated));
    })
    .delete('/:nodeId', async (c) => {
      const user = c.get('user');
      const { node, scope } = await authorizeNode(db, accountActor(user), idParam(c, 'nodeId'), 'manage');
      if (!node.trashedAt) {
        throw new ApiError(409, 'NOT_IN_TRASH', `node ${node.id} is not in the trash; trash it before deleting it`);
      }
      const purged = await purgeTrash(deps, scope, eq(nodes.id, node.id));
      await audit(db, { type: 'trash-purged', userId: user.id, requestId: c.get('requestId'), details: { purged } });
      return c.json({ purged });
    })
    .get('/:nodeId/children', async (c) => {
      const { node: folder, scope } = await authorizeNode(
        db,
        accountActor(c.get('user')),
        idParam(c, 'nodeId'),
        'read',
      );
      if (folder.kind !== 'folder') throw new ApiError(409, 'NOT_A_FOLDER', `node ${folder.id} is a file`);
      const rows = await db
        .select()
        .from(nodes)
        .leftJoin(revisions, eq(revisions.id, nodes.currentRevisionId))
        .where(and(eq(nodes.parentId, folder.id), nodesIn(scope), isNull(nodes.trashedAt)))
        .orderBy(asc(nodes.createdAt), asc(nodes.id));
      return c.json({ children: rows.map((row) => nodeJson(row.nodes, row.revisions)) });
    })
    .get('/:nodeId/path', async (c) => {
      const nodeId = idParam(c, 'nodeId');
      const path = await withAncestors(db, ownTree(accountActor(c.get('user'))), idList([nodeId]));
      if (path.length === 0) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
      return c.json({ path: path.map(nodeWithRevisionJson) });
    })
    .get('/:nodeId/revisions', async (c) => {
      const { node, scope } = await authorizeNode(db, accountActor(c.get('user')), idParam(c, 'nodeId'), 'read');
      const rows = await db
        .select()
        .from(revisions)
        .where(and(eq(revisions.nodeId, node.id), revisionsIn(scope), isNotNull(revisions.completedAt)))
        .orderBy(asc(revisions.number));
      return c.json({ revisions: rows.map(describeRevision) });
    })
    .put('/:nodeId/current-revision', jsonBodyLimit(), async (c) => {
      const request = await readJson(c, setCurrentRevisionSchema);
      const { node, scope } = await authorizeNode(db, accountActor(c.get('user')), idParam(c, 'nodeId'), 'write');
      if (node.kind !== 'file') {
        throw new ApiError(409, 'NOT_A_FILE', `node ${node.id} is a folder; only files have revisions`);
      }
      const revisionId = request.revisionId.toLowerCase();
      const [revision] = await db
        .select()
        .from(revisions)
        .where(
          and(
            eq(revisions.id, revisionId),
            eq(revisions.nodeId, node.id),
            revisionsIn(scope),
            isNotNull(revisions.completedAt),
          ),
        );
      if (!revision) throw new ApiError(404, 'NOT_FOUND', `file ${node.id} has no completed revision ${revisionId}`);
      const [updated] = await db
        .update(nodes)
        .set({
          currentRevisionId: revision.id,
          encryptedMetadata: decodeBase64url(request.encryptedMetadata),
          updatedAt: now(),
        })
        .where(and(eq(nodes.id, node.id), nodesIn(scope)))
        .returning();
      if (!updated) throw new ApiError(404, 'NOT_FOUND', `no node ${node.id}`);
      return c.json(nodeJson(updated, revision));
    })
    .post('/:nodeId/move', jsonBodyLimit(), async (c) => {
      const actor = accountActor(c.get('user'));
      const nodeId = idParam(c, 'nodeId');
      const request = await readJson(c, moveNodeSchema);
      const parentId = request.parentId.toLowerCase();
      const moved = await db.transaction(async (tx) => {
        await lockTree(tx, ownTree(actor));
        const { node, scope } = await authorizeNode(tx, actor, nodeId, 'write');
        if (!node.parentId) throw new ApiError(409, 'IS_ROOT', `node ${node.id} is the root folder, which cannot move`);
        await checkMoveTarget(tx, scope, node, parentId);
        // Moving out of the trash into a live folder restores the node: that is "restore to...".
        const [updated] = await tx
          .update(nodes)
          .set({
            parentId,
            wrappedKey: request.wrappedKey,
            encryptedMetadata: decodeBase64url(request.encryptedMetadata),
            trashedAt: null,
            updatedAt: now(),
          })
          .where(and(eq(nodes.id, node.id), nodesIn(scope)))
          .returning();
        return updated!;
      });
      return c.json(await describeNode(db, moved));
    })
    .post('/:nodeId/trash', async (c) => {
      const actor = accountActor(c.get('user'));
      const { node, scope } = await authorizeNode(db, actor, idParam(c, 'nodeId'), 'write');
      if (!node.parentId)
        throw new ApiError(409, 'IS_ROOT', `node ${node.id} is the root folder, which cannot be trashed`);
      // Only the node is marked: what is inside a trashed folder is hidden by it, and comes back with it.
      if (!node.trashedAt) {
        await db
          .update(nodes)
          .set({ trashedAt: now() })
          .where(and(eq(nodes.id, node.id), nodesIn(scope), isNull(nodes.trashedAt)));
      }
      return c.json(await describeNode(db, (await authorizeNode(db, actor, node.id, 'read')).node));
    })
    .post('/:nodeId/restore', async (c) => {
      const { node, scope } = await authorizeNode(db, accountActor(c.get('user')), idParam(c, 'nodeId'), 'write');
      if (!node.trashedAt) throw new ApiError(409, 'NOT_IN_TRASH', `node ${node.id} is not in the trash`);
      const trashed = (await withAncestors(db, scope, idList([node.parentId]))).find((row) => row.node.trashedAt);
      if (trashed) {
        throw new ApiError(
          409,
          'PARENT_IN_TRASH',
          `folder ${trashed.node.id}, which holds node ${node.id}, is in the trash too; restore that folder, or move this node to a folder that is not in the trash`,
        );
      }
      const [restored] = await db
        .update(nodes)
        .set({ trashedAt: null })
        .where(and(eq(nodes.id, node.id), nodesIn(scope)))
        .returning();
      if (!restored) throw new ApiError(404, 'NOT_FOUND', `no node ${node.id}`);
      return c.json(await describeNode(db, restored));
    });
}

/** The trash as a whole, at /api/trash: what is in it, and emptying it. */
export function trashRoutes(deps: ServerDeps) {
  const { db } = deps;
  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const scope = ownTree(accountActor(c.get('user')));
      const trashed = await trashedNodes(db, scope);
      // The client unwraps keys from the root down to read a trashed node's name, whatever state its folders are in.
      const ancestors = await withAncestors(db, scope, trashedParentIds(scope));
      return c.json({ trashed: trashed.map(nodeWithRevisionJson), ancestors: ancestors.map(nodeWithRevisionJson) });
    })
    .delete('/', async (c) => {
      const user = c.get('user');
      const purged = await purgeTrash(deps, ownTree(accountActor(user)));
      await audit(db, { type: 'trash-purged', userId: user.id, requestId: c.get('requestId'), details: { purged } });
      return c.json({ purged });
    });
}

/**
 * Where a node may move: into a usable folder of the same tree (usableFolder) that is neither the node nor inside it
 * (that would cut the subtree off from the root, in a cycle). One walk up from the new parent answers all.
 */
async function checkMoveTarget(tx: Queryable, scope: Scope, node: NodeRow, parentId: string): Promise<void> {
  const chain = await withAncestors(tx, scope, idList([parentId]));
  folderIn(chain, parentId);
  if (chain.some((row) => row.node.id === node.id)) {
    throw new ApiError(
      409,
      'MOVE_INTO_ITSELF',
      parentId === node.id
        ? `node ${node.id} cannot move into itself`
        : `folder ${parentId} is inside ${node.id}; a folder cannot move into itself or anything inside it`,
    );
  }
  refuseTrashed(chain, parentId);
}

async function loadRoot(db: Queryable, scope: Scope): Promise<NodeRow | undefined> {
  const [root] = await db
    .select()
    .from(nodes)
    .where(and(nodesIn(scope), isNull(nodes.parentId)));
  return root;
}

async function describeNode(db: Database, node: NodeRow) {
  const [revision] = node.currentRevisionId
    ? await db.select().from(revisions).where(eq(revisions.id, node.currentRevisionId))
    : [];
  return nodeJson(node, revision ?? null);
}

function nodeWithRevisionJson({ node, revision }: NodeWithRevision) {
  return nodeJson(node, revision);
}

function nodeJson(node: NodeRow, revision: typeof revisions.$inferSelect | null) {
  return {
    id: node.id,
    parentId: node.parentId,
    kind: node.kind,
    wrappedKey: node.wrappedKey,
    encryptedMetadata: encodeBase64url(node.encryptedMetadata),
    currentRevision: revision ? describeRevision(revision) : null,
    createdAt: node.createdAt.toISOString(),
    updatedAt: node.updatedAt.toISOString(),
    trashedAt: node.trashedAt?.toISOString() ?? null,
  };
}
