/**
 * A link's owner makes it from what their client derived (the wrap and the token's hash; docs/FORMAT.md section
 * 4.4), lists them, changes their options and revokes them. Only the owner of a node links it: a share's recipient,
 * even an editor, does not hand the owner's item to people the owner never chose.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { LinkRecord, LinksResponse } from '../../shared/api/responses.ts';
import type { CreateLinkRequest, EditLinkRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { authorizeNode, authorizeOwnLink, linkRows, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { links } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { linkRecord } from './link-json.ts';

export async function createLink(
  { db, now }: ServerDeps,
  actor: Actor,
  request: CreateLinkRequest,
  origin: RequestOrigin,
): Promise<LinkRecord> {
  const { node, scope } = await authorizeNode(db, actor, request.nodeId, 'manage');
  if (node.trashedAt) throw new ApiError(409, 'IN_TRASH', `node ${node.id} is in the trash; restore it to link it`);
  const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
  if (expiresAt && expiresAt <= now()) {
    throw new ApiError(400, 'LINK_EXPIRY_PAST', `expiresAt ${request.expiresAt} is not in the future`);
  }
  const [link] = await db
    .insert(links)
    .values({
      id: request.id,
      nodeId: node.id,
      ownerId: scope.ownerId,
      kind: node.kind,
      wrappedKey: request.wrappedKey,
      accessTokenHash: decodeBase64url(request.accessTokenHash),
      encryptedLabel: request.encryptedLabel ?? null,
      passwordCost: request.passwordCost,
      allowDownload: request.allowDownload ?? true,
      downloadLimit: request.downloadLimit ?? null,
      expiresAt,
      createdAt: now(),
    })
    .onConflictDoNothing({ target: links.id })
    .returning();
  if (!link) throw new ApiError(409, 'LINK_EXISTS', `link ${request.id} already exists; make a new id`);
  await audit(db, {
    type: 'link-created',
    userId: actor.userId,
    origin,
    at: now(),
    details: { linkId: link.id, nodeId: node.id, password: link.passwordCost !== null },
  });
  return linkRecord(link, now());
}

/** Every link the actor made, newest first. */
export async function ownedLinks({ db, now }: ServerDeps, actor: Actor): Promise<LinksResponse> {
  const rows = await db
    .select()
    .from(links)
    .where(linkRows.owned(actor))
    .orderBy(desc(links.createdAt), desc(links.id));
  return { links: rows.map((row) => linkRecord(row, now())) };
}

/** The links of one node, for its owner, newest first. */
export async function nodeLinks({ db, now }: ServerDeps, actor: Actor, nodeId: string): Promise<LinksResponse> {
  const { node } = await authorizeNode(db, actor, nodeId, 'manage');
  const rows = await db
    .select()
    .from(links)
    .where(and(linkRows.owned(actor), eq(links.nodeId, node.id)))
    .orderBy(desc(links.createdAt), desc(links.id));
  return { links: rows.map((row) => linkRecord(row, now())) };
}

/**
 * Changes a link's options; an expiry in the past ends it at once, as revoking does, but may be moved on again. A
 * revoked link stays revoked: its options no longer matter (409 LINK_REVOKED).
 */
export async function editLink(
  { db, now }: ServerDeps,
  actor: Actor,
  linkId: string,
  edit: EditLinkRequest,
): Promise<LinkRecord> {
  const link = await authorizeOwnLink(db, actor, linkId);
  if (link.revokedAt) throw new ApiError(409, 'LINK_REVOKED', `link ${linkId} is revoked; make a new one`);
  const changes = {
    ...(edit.encryptedLabel !== undefined ? { encryptedLabel: edit.encryptedLabel } : {}),
    ...(edit.allowDownload !== undefined ? { allowDownload: edit.allowDownload } : {}),
    ...(edit.downloadLimit !== undefined ? { downloadLimit: edit.downloadLimit } : {}),
    ...(edit.expiresAt !== undefined ? { expiresAt: edit.expiresAt ? new Date(edit.expiresAt) : null } : {}),
  };
  // An update that sets nothing is not SQL: an empty edit is the client's mistake, said as such.
  if (Object.keys(changes).length === 0) {
    throw new ApiError(
      400,
      'NOTHING_TO_CHANGE',
      'body: got no change; expected at least one of encryptedLabel, allowDownload, downloadLimit, expiresAt',
    );
  }
  const [edited] = await db.update(links).set(changes).where(eq(links.id, link.id)).returning();
  return linkRecord(edited ?? link, now());
}

/** Ends a link for good; revoking it again changes nothing. */
export async function revokeLink(
  { db, now }: ServerDeps,
  actor: Actor,
  linkId: string,
  origin: RequestOrigin,
): Promise<LinkRecord> {
  const link = await authorizeOwnLink(db, actor, linkId);
  const [revoked] = await db
    .update(links)
    .set({ revokedAt: now() })
    .where(and(eq(links.id, link.id), isNull(links.revokedAt)))
    .returning();
  if (revoked) {
    await audit(db, { type: 'link-revoked', userId: actor.userId, origin, at: now(), details: { linkId: link.id } });
  }
  return linkRecord(revoked ?? link, now());
}
