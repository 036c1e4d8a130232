/** Folders and files as the server sees them: ids, parent links, wrapped keys and encrypted metadata. */
import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import { Hono } from 'hono';
import { createFolderSchema } from '../../shared/api/schemas.ts';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes, revisions } from '../db/schema.ts';
import type { AuthEnv, AuthUser } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParam, readJson } from '../http/validate.ts';
import { describeRevision } from './revisions.ts';
import type { RouteDeps } from './deps.ts';

type NodeRow = typeof nodes.$inferSelect;

export function nodeRoutes({ db }: RouteDeps) {
  return new Hono<AuthEnv>()
    .post('/folders', jsonBodyLimit(), async (c) => {
      const user = c.get('user');
      const request = await readJson(c, createFolderSchema);
      const parentId = request.parentId?.toLowerCase() ?? null;
      if (parentId) {
        const parent = await loadNode(db, user, parentId);
        if (parent.kind !== 'folder') throw new ApiError(409, 'NOT_A_FOLDER', `node ${parentId} is a file`);
        if (parent.trashedAt) throw new ApiError(409, 'IN_TRASH', `folder ${parentId} is in the trash`);
      }
      try {
        const [created] = await db
          .insert(nodes)
          .values({
            id: request.id.toLowerCase(),
            ownerId: user.id,
            parentId,
            kind: 'folder',
            wrappedKey: request.wrappedKey,
            encryptedMetadata: decodeBase64url(request.encryptedMetadata),
          })
          .returning();
        return c.json(await describeNode(db, created!), 201);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw parentId
            ? new ApiError(409, 'NODE_EXISTS', `node ${request.id} already exists`)
            : new ApiError(409, 'ROOT_EXISTS', 'this account already has a root folder');
        }
        throw error;
      }
    })
    .get('/root', async (c) => {
      const user = c.get('user');
      const [root] = await db
        .select()
        .from(nodes)
        .where(and(eq(nodes.ownerId, user.id), isNull(nodes.parentId)));
      if (!root) throw new ApiError(404, 'NO_ROOT', 'this account has no root folder yet');
      return c.json(await describeNode(db, root));
    })
    .get('/:nodeId', async (c) =>
      c.json(await describeNode(db, await loadNode(db, c.get('user'), idParam(c, 'nodeId')))),
    )
    .get('/:nodeId/children', async (c) => {
      const user = c.get('user');
      const folder = await loadNode(db, user, idParam(c, 'nodeId'));
      if (folder.kind !== 'folder') throw new ApiError(409, 'NOT_A_FOLDER', `node ${folder.id} is a file`);
      const rows = await db
        .select()
        .from(nodes)
        .leftJoin(revisions, eq(revisions.id, nodes.currentRevisionId))
        .where(and(eq(nodes.parentId, folder.id), eq(nodes.ownerId, user.id), isNull(nodes.trashedAt)))
        .orderBy(asc(nodes.createdAt), asc(nodes.id));
      return c.json({ children: rows.map((row) => nodeJson(row.nodes, row.revisions)) });
    })
    .get('/:nodeId/revisions', async (c) => {
      const user = c.get('user');
      const node = await loadNode(db, user, idParam(c, 'nodeId'));
      const rows = await db
        .select()
        .from(revisions)
        .where(and(eq(revisions.nodeId, node.id), eq(revisions.ownerId, user.id), isNotNull(revisions.completedAt)))
        .orderBy(asc(revisions.number));
      return c.json({ revisions: rows.map(describeRevision) });
    });
}

async function loadNode(db: Database, user: AuthUser, nodeId: string): Promise<NodeRow> {
  const [node] = await db
    .select()
    .from(nodes)
    .where(and(eq(nodes.id, nodeId), eq(nodes.ownerId, user.id)));
  if (!node) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
  return node;
}

async function describeNode(db: Database, node: NodeRow) {
  const [revision] = node.currentRevisionId
    ? await db.select().from(revisions).where(eq(revisions.id, node.currentRevisionId))
    : [];
  return nodeJson(node, revision ?? null);
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
