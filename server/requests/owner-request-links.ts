/**
 * File-request links, for their owner: make one for a folder of their own tree (the terms signed by their client,
 * docs/FORMAT.md section 4.5), list them, revoke them. Only a folder's owner makes one: the files land in the owner's
 * tree and count against the owner's quota.
 */
import { and, desc, eq, isNull, lte } from 'drizzle-orm';
import type { RequestLinkRecord, RequestLinksResponse } from '../../shared/api/responses.ts';
import type { CreateRequestLinkRequest, UpdateRequestLinkRequest } from '../../shared/api/schemas.ts';
import { authorizeNode, authorizeOwnRequestLink, requestLinkRows, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { requestLinks } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { requestLinkRecord } from './request-link-json.ts';

export async function createRequestLink(
  { db, now }: ServerDeps,
  actor: Actor,
  request: CreateRequestLinkRequest,
  origin: RequestOrigin,
): Promise<RequestLinkRecord> {
  const { node, scope } = await authorizeNode(db, actor, request.nodeId, 'manage');
  if (scope.share) throw new ApiError(404, 'NOT_FOUND', `no node ${request.nodeId}`);
  if (node.kind !== 'folder') {
    throw new ApiError(409, 'NOT_A_FOLDER', `node ${node.id} is a file; files are requested into a folder`);
  }
  if (node.trashedAt) throw new ApiError(409, 'IN_TRASH', `folder ${node.id} is in the trash; restore it first`);
  const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
  if (expiresAt && expiresAt <= now()) {
    throw new ApiError(400, 'LINK_EXPIRY_PAST', `expiresAt ${request.expiresAt} is not in the future`);
  }
  const [link] = await db
    .insert(requestLinks)
    .values({
      id: request.id.toLowerCase(),
      nodeId: node.id,
      ownerId: scope.ownerId,
      encryptedLabel: request.encryptedLabel,
      message: request.message,
      messageSignature: request.messageSignature,
      maxFiles: request.maxFiles,
      maxBytes: request.maxBytes,
      expiresAt,
      createdAt: now(),
    })
    .onConflictDoNothing({ target: requestLinks.id })
    .returning();
  if (!link) throw new ApiError(409, 'LINK_EXISTS', `request link ${request.id} already exists; make a new id`);
  await audit(db, {
    type: 'request-link-created',
    userId: actor.userId,
    origin,
    at: now(),
    details: { requestLinkId: link.id, nodeId: node.id },
  });
  return requestLinkRecord(link, now());
}

/** Every request link the actor made, newest first. */
export async function ownedRequestLinks({ db, now }: ServerDeps, actor: Actor): Promise<RequestLinksResponse> {
  const rows = await db
    .select()
    .from(requestLinks)
    .where(requestLinkRows.owned(actor))
    .orderBy(desc(requestLinks.createdAt), desc(requestLinks.id));
  return { requestLinks: rows.map((row) => requestLinkRecord(row, now())) };
}

/**
 * Changes a request link's limits or expiry. A limit below what the link already took would strand the uploads that
 * took it, so it is refused (409) with both numbers; an expiry is in the future, or none. A revoked link stays revoked.
 */
export async function updateRequestLink(
  { db, now }: ServerDeps,
  actor: Actor,
  linkId: string,
  request: UpdateRequestLinkRequest,
  origin: RequestOrigin,
): Promise<RequestLinkRecord> {
  const link = await authorizeOwnRequestLink(db, actor, linkId);
  if (link.revokedAt) throw new ApiError(410, 'LINK_REVOKED', `request link ${linkId} was revoked; make a new one`);
  // An update that sets nothing is not SQL: an empty change is the client's mistake, said as such.
  if (request.maxFiles === undefined && request.maxBytes === undefined && request.expiresAt === undefined) {
    throw new ApiError(
      400,
      'NOTHING_TO_CHANGE',
      'body: got no change; expected at least one of maxFiles, maxBytes, expiresAt',
    );
  }
  if (request.maxFiles !== undefined && request.maxFiles < link.fileCount) {
    throw new ApiError(
      409,
      'LIMIT_BELOW_USE',
      `maxFiles ${request.maxFiles} is below the ${link.fileCount} files request link ${linkId} already took`,
    );
  }
  if (request.maxBytes !== undefined && request.maxBytes < link.byteCount) {
    throw new ApiError(
      409,
      'LIMIT_BELOW_USE',
      `maxBytes ${request.maxBytes} is below the ${link.byteCount} bytes request link ${linkId} already took`,
    );
  }
  const expiresAt =
    request.expiresAt === undefined ? undefined : request.expiresAt === null ? null : new Date(request.expiresAt);
  if (expiresAt && expiresAt <= now()) {
    throw new ApiError(400, 'LINK_EXPIRY_PAST', `expiresAt ${request.expiresAt} is not in the future`);
  }
  // The counts are checked again in the update itself, so an upload that began meanwhile is not stranded either.
  const [updated] = await db
    .update(requestLinks)
    .set({ maxFiles: request.maxFiles, maxBytes: request.maxBytes, expiresAt })
    .where(
      and(
        eq(requestLinks.id, link.id),
        isNull(requestLinks.revokedAt),
        lte(requestLinks.fileCount, request.maxFiles ?? requestLinks.maxFiles),
        lte(requestLinks.byteCount, request.maxBytes ?? requestLinks.maxBytes),
      ),
    )
    .returning();
  if (!updated) {
    throw new ApiError(409, 'LIMIT_BELOW_USE', `request link ${linkId} took more meanwhile; read it again and retry`);
  }
  await audit(db, {
    type: 'request-link-updated',
    userId: actor.userId,
    origin,
    at: now(),
    details: { requestLinkId: link.id },
  });
  return requestLinkRecord(updated, now());
}

/** Ends a request link for good; files already uploaded still wait for the owner. Revoking again changes nothing. */
export async function revokeRequestLink(
  { db, now }: ServerDeps,
  actor: Actor,
  linkId: string,
  origin: RequestOrigin,
): Promise<RequestLinkRecord> {
  const link = await authorizeOwnRequestLink(db, actor, linkId);
  const [revoked] = await db
    .update(requestLinks)
    .set({ revokedAt: now() })
    .where(and(eq(requestLinks.id, link.id), isNull(requestLinks.revokedAt)))
    .returning();
  if (revoked) {
    await audit(db, {
      type: 'request-link-revoked',
      userId: actor.userId,
      origin,
      at: now(),
      details: { requestLinkId: link.id },
    });
  }
  return requestLinkRecord(revoked ?? link, now());
}
