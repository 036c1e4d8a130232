/**
 * What a link holder reaches, once the access policy let them in (authorizeLink): the link's wrap and node, the
 * children of a folder inside it, and the current revision of a file inside it. The page decrypts all of it with the
 * keys from the fragment; the server sends ciphertext only.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { ChildrenResponse, LinkAccessResponse, OpenLinkResponse } from '../../shared/api/responses.ts';
import { authorizeLinkNode, linkNodesIn, takeLinkDownload, type LinkActor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import type { Queryable } from '../db/database.ts';
import { links, nodes, revisions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode, nodeJson } from '../nodes/node-json.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';
import { streamBytes } from '../revisions/revision-bytes.ts';

/** Whether to ask for a password, and its cost: what anyone with the link's id learns, before any token. */
export async function linkAccess(db: Queryable, linkId: string): Promise<LinkAccessResponse> {
  const [link] = await db.select({ passwordCost: links.passwordCost }).from(links).where(eq(links.id, linkId));
  if (!link) throw new ApiError(404, 'LINK_NOT_FOUND', `no link ${linkId}`);
  return { passwordCost: link.passwordCost };
}

/** The link's wrap and node, counted as one use of the link and audited for its owner. */
export async function openLink(
  { db, now }: ServerDeps,
  actor: LinkActor,
  origin: RequestOrigin,
): Promise<OpenLinkResponse> {
  const { link } = actor;
  const node = await describeNode(db, await linkedNode(db, actor));
  await db
    .update(links)
    .set({ useCount: sql`${links.useCount} + 1`, lastUsedAt: now() })
    .where(eq(links.id, link.id));
  await audit(db, { type: 'link-used', userId: link.ownerId, origin, at: now(), details: { linkId: link.id } });
  return {
    linkId: link.id,
    ownerId: link.ownerId,
    kind: link.kind,
    wrappedKey: link.wrappedKey,
    node,
    passwordCost: link.passwordCost,
    allowDownload: link.allowDownload,
    expiresAt: link.expiresAt?.toISOString() ?? null,
    downloadsLeft: link.downloadLimit === null ? null : link.downloadLimit - link.downloadCount,
  };
}

/** The link's own node; one its owner moved to the trash is gone for the link, as the owner would expect. */
async function linkedNode(db: Queryable, actor: LinkActor) {
  try {
    return await authorizeLinkNode(db, actor, actor.link.nodeId);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    throw new ApiError(410, 'LINK_ITEM_GONE', `the item link ${actor.link.id} leads to is in its owner's trash`);
  }
}

/** The live children of a folder the link reaches, oldest first. */
export async function linkChildren(db: Queryable, actor: LinkActor, folderId: string): Promise<ChildrenResponse> {
  const folder = await authorizeLinkNode(db, actor, folderId);
  if (folder.kind !== 'folder') throw new ApiError(409, 'NOT_A_FOLDER', `node ${folder.id} is a file`);
  const rows = await db
    .select()
    .from(nodes)
    .leftJoin(revisions, eq(revisions.id, nodes.currentRevisionId))
    .where(and(eq(nodes.parentId, folder.id), linkNodesIn(actor), isNull(nodes.trashedAt)))
    .orderBy(asc(nodes.createdAt), asc(nodes.id));
  return { children: rows.map((row) => nodeJson(row.nodes, row.revisions)), manifest: null, editorRoster: null };
}

/**
 * Bytes [start, end) of a revision the link reaches (authorizeLinkRevision). A read from the first byte is a download,
 * counted against the link's limit only once its bytes can be streamed: a visitor the blob store could not serve keeps
 * the download. A resumed or seeking read goes on with the download already counted.
 */
export async function linkRevisionBytes(
  deps: Pick<ServerDeps, 'db' | 'blobs' | 'now'>,
  actor: LinkActor,
  revision: RevisionRow,
  start: number,
  end: number,
): Promise<ReadableStream<Uint8Array>> {
  const body = await streamBytes(deps, revision, start, end);
  if (start !== 0) return body;
  try {
    await takeLinkDownload(deps.db, actor, deps.now());
  } catch (error) {
    await body.cancel(error);
    throw error;
  }
  return body;
}
