/**
 * Who may do what to which node, revision and upload: the one place that decides it, and the only one that builds
 * the condition selecting the rows an actor reaches. Routes and queries take a Scope from here and never compare
 * owner ids themselves, so that sharing adds roles here rather than clauses in every handler.
 */
import { timingSafeEqual } from 'node:crypto';
import { and, eq, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/database.ts';
import {
  accountDocuments,
  auditEvents,
  credentials,
  links,
  nodes,
  publicKeys,
  requestLinks,
  requestUploads,
  revisions,
  sessions,
  shares,
  uploads,
  users,
  wrappedKeys,
} from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { idList, type NodeRow, type NodeWithRevision, type RevisionRow, withAncestors } from '../nodes/tree-queries.ts';

/**
 * Who is asking: a signed-in account. A link holder (LinkActor, below) is an actor of its own kind, so that nothing
 * made for an account takes it.
 */
export interface Actor {
  kind: 'account';
  userId: string;
}

/** What an actor is to a tree: its owner, or the recipient of an accepted share with the share's role. */
export type Role = 'owner' | 'editor' | 'viewer';

export type Action = 'read' | 'write' | 'manage';

const ROLE_ALLOWS: Record<Role, readonly Action[]> = {
  owner: ['read', 'write', 'manage'],
  editor: ['read', 'write'],
  viewer: ['read'],
};

/**
 * The rows of one tree an actor reaches, and as what. `ownerId` is whose tree it is: its lock, its quota, the owner
 * of what is created in it.
 */
export interface Scope {
  actor: Actor;
  ownerId: string;
  role: Role;
  /**
   * For a scope an accepted share gives: the share, and its node. Only that node and what is inside it are in
   * scope: walks up the tree stop there, and nothing moves out of it.
   */
  share?: { id: string; nodeId: string };
}

export function accountActor(user: { id: string }): Actor {
  return { kind: 'account', userId: user.id };
}

/**
 * The instance's administration: accounts, quotas, invites and the registration mode, never anyone's files or keys.
 * Only an account with the admin role reaches it; its role is read with its session on every request, so a change
 * takes effect at once.
 */
export function requireAdmin(user: { id: string; role: 'user' | 'admin' }): Actor {
  if (user.role !== 'admin') throw new ApiError(403, 'ADMIN_REQUIRED', 'only an admin of this Coffer may do this');
  return accountActor(user);
}

/** The actor's own tree. Accepted shares give scopes over other owners' trees, found from the node asked for. */
export function ownTree(actor: Actor): Scope {
  return { actor, ownerId: actor.userId, role: 'owner' };
}

/**
 * The condition on `nodes` (or on the nodes table under `alias` in raw SQL) that selects the nodes of the scope.
 * The tree queries take it as it is; nothing else writes an owner comparison on nodes.
 */
export function nodesIn(scope: Scope, alias?: string): SQL {
  if (alias) return sql`${sql.identifier(alias)}.owner_id = ${scope.ownerId}`;
  return eq(nodes.ownerId, scope.ownerId);
}

export function revisionsIn(scope: Scope): SQL {
  return eq(revisions.ownerId, scope.ownerId);
}

/** An upload belongs to whoever started it, whoever's tree it goes into. */
export function uploadsOf(actor: Actor): SQL {
  return eq(uploads.userId, actor.userId);
}

/**
 * The open uploads of new files into these folders, whoever started them (the owner or an editor): their keys are
 * wrapped under the folders' keys, which the tree's owner rotates (server/nodes/rekey.ts). `folderIds` are folders of
 * a scope with the manage action.
 */
export function newFilesInto(folderIds: readonly string[]): SQL {
  return and(eq(uploads.newNode, true), isNull(uploads.completedAt), inArray(uploads.parentId, [...folderIds]))!;
}

/** An account's own rows: its passkeys, sessions, wrapped and public keys, security log and sealed documents. Nobody else's, ever. */
export const accountRows = {
  /** The account row itself: only its owner deletes it this way (an admin's deletion is decided by requireAdmin). */
  account: (actor: Actor) => eq(users.id, actor.userId),
  credentials: (actor: Actor) => eq(credentials.userId, actor.userId),
  sessions: (actor: Actor) => eq(sessions.userId, actor.userId),
  wrappedKeys: (actor: Actor) => eq(wrappedKeys.userId, actor.userId),
  publicKeys: (actor: Actor) => eq(publicKeys.userId, actor.userId),
  auditEvents: (actor: Actor) => eq(auditEvents.userId, actor.userId),
  documents: (actor: Actor) => eq(accountDocuments.userId, actor.userId),
};

export type ShareRow = typeof shares.$inferSelect;
export type ShareSide = 'owner' | 'recipient';

/** The shares an account gave, as the owner of their nodes, and those it received: the rows each side reaches. */
export const shareRows = {
  given: (actor: Actor) => eq(shares.ownerId, actor.userId),
  received: (actor: Actor) => eq(shares.recipientId, actor.userId),
};

/**
 * A share the actor may act on from one of `sides`: as the owner of its node (to revoke it) or as its recipient (to
 * accept, decline or leave it). Anyone else gets the 404 of a missing id.
 */
export async function authorizeShare(
  db: Queryable,
  actor: Actor,
  shareId: string,
  sides: readonly ShareSide[],
): Promise<{ share: ShareRow; side: ShareSide }> {
  const [share] = await db.select().from(shares).where(eq(shares.id, shareId));
  const side = !share
    ? undefined
    : sides.find((candidate) => (candidate === 'owner' ? share.ownerId : share.recipientId) === actor.userId);
  if (!share || !side) throw new ApiError(404, 'NOT_FOUND', `no share ${shareId}`);
  return { share, side };
}

/** Whether a row found without the scope's condition (an id already taken, say) is in the scope. */
export function inScope(scope: Scope, row: { ownerId: string }): boolean {
  return row.ownerId === scope.ownerId;
}

/** Refuses an action the scope's role does not allow; a node the actor cannot see at all is simply not found. */
export function requireAction(scope: Scope, action: Action): void {
  if (!ROLE_ALLOWS[scope.role].includes(action)) {
    throw new ApiError(403, 'FORBIDDEN', `as ${scope.role} you may not ${action} this`);
  }
}

/**
 * The node, if the actor may do `action` to it: in its own tree as owner, or in another's through an accepted share
 * of the node or of a folder above it, with that share's role. A node reached neither way and a missing id get the
 * same 404; a pending, declined or revoked share gives nothing.
 */
export async function authorizeNode(
  db: Queryable,
  actor: Actor,
  nodeId: string,
  action: Action,
): Promise<{ node: NodeRow; scope: Scope }> {
  const [node] = await db.select().from(nodes).where(eq(nodes.id, nodeId));
  const scope = node && (await scopeOf(db, actor, node));
  if (!node || !scope) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
  requireAction(scope, action);
  return { node, scope };
}

/** The scope in which the actor reaches each of these nodes (by id), for those it reaches at all. */
export async function scopesOf(db: Queryable, actor: Actor, nodeIds: readonly string[]): Promise<Map<string, Scope>> {
  const found =
    nodeIds.length === 0
      ? []
      : await db
          .select()
          .from(nodes)
          .where(inArray(nodes.id, [...nodeIds]));
  const scopes = new Map<string, Scope>();
  for (const node of found) {
    const scope = await scopeOf(db, actor, node);
    if (scope) scopes.set(node.id, scope);
  }
  return scopes;
}

async function scopeOf(db: Queryable, actor: Actor, node: NodeRow): Promise<Scope | undefined> {
  const own = ownTree(actor);
  return inScope(own, node) ? own : sharedScope(db, actor, node);
}

/**
 * The scope an accepted share gives the actor over `node`: the share of the node or of the nearest folder above it,
 * an editor's before a viewer's (the wider one, if both are editors' or both viewers').
 */
async function sharedScope(db: Queryable, actor: Actor, node: NodeRow): Promise<Scope | undefined> {
  const above = sql`(
      with recursive above(id, parent_id, depth) as (
        select id, parent_id, 0 from ${nodes} where id = ${node.id}
        union all
        select parent.id, parent.parent_id, above.depth + 1
          from ${nodes} as parent join above on parent.id = above.parent_id
      )
      select id, depth from above
    ) as above`;
  const [share] = await db
    .select({ id: shares.id, nodeId: shares.nodeId, role: shares.role })
    .from(shares)
    .innerJoin(above, sql`above.id = ${shares.nodeId}`)
    .where(and(eq(shares.recipientId, actor.userId), eq(shares.ownerId, node.ownerId), eq(shares.status, 'accepted')))
    .orderBy(sql`${shares.role} = 'editor' desc`, sql`above.depth desc`)
    .limit(1);
  if (!share) return undefined;
  return { actor, ownerId: node.ownerId, role: share.role, share: { id: share.id, nodeId: share.nodeId } };
}

/**
 * Refuses to go on in a scope whose share was revoked or declined since it was found: a step that commits later than
 * the check that found the scope (an upload's completion, a batch's publication) asks again. The actor's own tree
 * needs no second look.
 */
export async function requireInForce(db: Queryable, scope: Scope): Promise<void> {
  if (!scope.share) return;
  const [share] = await db
    .select({ id: shares.id })
    .from(shares)
    .where(
      and(eq(shares.id, scope.share.id), eq(shares.recipientId, scope.actor.userId), eq(shares.status, 'accepted')),
    );
  if (!share) throw new ApiError(404, 'NOT_FOUND', `no node ${scope.share.nodeId}`);
}

/** A shared node stays where its owner put it: a recipient changes what is inside it, never moves or trashes it. */
export function refuseSharedRoot(scope: Scope, node: NodeRow, what: 'move' | 'trash' | 'restore'): void {
  if (scope.share?.nodeId === node.id) {
    throw new ApiError(403, 'SHARED_ROOT', `node ${node.id} is the shared item itself; only its owner may ${what} it`);
  }
}

/**
 * A completed revision the actor may do `action` to (read its bytes, or, with 'write', add its thumbnail): the
 * node's answer decides. A revision still uploading is not found, like one the actor cannot reach.
 */
export async function authorizeRevision(
  db: Queryable,
  actor: Actor,
  revisionId: string,
  action: Action,
): Promise<{ revision: RevisionRow; scope: Scope }> {
  const notFound = () => new ApiError(404, 'NOT_FOUND', `no revision ${revisionId}`);
  const [revision] = await db
    .select()
    .from(revisions)
    .where(and(eq(revisions.id, revisionId), isNotNull(revisions.completedAt)));
  if (!revision) throw notFound();
  const reached = await authorizeNode(db, actor, revision.nodeId, 'read').catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  });
  if (!reached || !inScope(reached.scope, revision)) throw notFound();
  requireAction(reached.scope, action);
  return { revision, scope: reached.scope };
}

/**
 * Whether the actor may still write where its upload goes (the folder of a new file, or the file), checked on each
 * request of an upload into another's tree so that a revocation stops it at once. Into its own tree, the upload's
 * owner needs no further look until completion.
 */
export async function authorizeUploadTarget(
  db: Queryable,
  actor: Actor,
  upload: { newNode: boolean; parentId: string | null; nodeId: string; revision: { ownerId: string } },
): Promise<void> {
  if (inScope(ownTree(actor), upload.revision)) return;
  await authorizeNode(db, actor, upload.newNode ? upload.parentId! : upload.nodeId, 'write');
}

/**
 * The one answer to "may something be put in this folder": 404 `NOT_FOUND` when the scope has no such node, 409
 * `NOT_A_FOLDER` for a file, 409 `IN_TRASH` when it or any folder above it is in the trash.
 */
export async function usableFolder(db: Queryable, scope: Scope, folderId: string): Promise<NodeRow> {
  requireAction(scope, 'write');
  const chain = await withAncestors(db, scope, idList([folderId]));
  const folder = folderIn(chain, folderId);
  refuseTrashed(chain, folderId);
  return folder;
}

/** The folder from its chain of ancestors (withAncestors), or the answer for a missing node or a file. */
export function folderIn(chain: readonly NodeWithRevision[], folderId: string): NodeRow {
  const folder = chain.find((row) => row.node.id === folderId)?.node;
  if (!folder) throw new ApiError(404, 'NOT_FOUND', `no folder ${folderId}`);
  if (folder.kind !== 'folder') throw new ApiError(409, 'NOT_A_FOLDER', `node ${folderId} is a file, not a folder`);
  return folder;
}

/** Refuses a folder whose chain of ancestors has a trashed folder in it, the folder itself included. */
export function refuseTrashed(chain: readonly NodeWithRevision[], folderId: string): void {
  const trashed = chain.find((row) => row.node.trashedAt)?.node;
  if (!trashed) return;
  throw new ApiError(
    409,
    'IN_TRASH',
    trashed.id === folderId
      ? `folder ${folderId} is in the trash`
      : `folder ${folderId} is inside folder ${trashed.id}, which is in the trash`,
  );
}

/** A ceremony challenge issued to a signed-in account (a step-up, a new passkey) is answered by that account only. */
export function requireOwnChallenge(actor: Actor, issuedTo: string | null): void {
  if (issuedTo !== actor.userId) {
    throw new ApiError(400, 'BAD_CHALLENGE', 'the signed challenge was issued for another account');
  }
}

export type LinkRow = typeof links.$inferSelect;

/**
 * Someone holding a share link's access token, with no account: they reach the link's node and, for a folder, what is
 * inside it, to read, and nothing else. Made only by authorizeLink, after the token matched.
 */
export interface LinkActor {
  kind: 'link';
  link: LinkRow;
}

/** The links an account made, as the owner of their nodes: the rows it may list, edit and revoke. */
export const linkRows = {
  owned: (actor: Actor) => eq(links.ownerId, actor.userId),
};

/** A link the actor made; anyone else gets the 404 of a missing id. */
export async function authorizeOwnLink(db: Queryable, actor: Actor, linkId: string): Promise<LinkRow> {
  const [link] = await db
    .select()
    .from(links)
    .where(and(eq(links.id, linkId), linkRows.owned(actor)));
  if (!link) throw new ApiError(404, 'NOT_FOUND', `no link ${linkId}`);
  return link;
}

/**
 * Whether the link is used up by now: the one test behind the LINK_EXHAUSTED refusal and the listing's status, so
 * that both count alike.
 */
export function isExhausted(link: Pick<LinkRow, 'downloadLimit' | 'downloadCount'>): boolean {
  return link.downloadLimit !== null && link.downloadCount >= link.downloadLimit;
}

/**
 * The link holder, if `tokenHash` is the SHA-256 of the link's access token and the link is in force. Each refusal has
 * its own code, checked in this order: an unknown link (404 LINK_NOT_FOUND); no token or another one (403
 * LINK_TOKEN_INVALID), before anything about the link's state is told; an owner an admin disabled (403
 * LINK_OWNER_DISABLED); then revoked, expired and used up (410 LINK_REVOKED, LINK_EXPIRED, LINK_EXHAUSTED).
 */
export async function authorizeLink(
  db: Queryable,
  linkId: string,
  tokenHash: Uint8Array | undefined,
  now: Date,
): Promise<LinkActor> {
  const [row] = await db
    .select({ link: links, ownerDisabledAt: users.disabledAt })
    .from(links)
    .innerJoin(users, eq(users.id, links.ownerId))
    .where(eq(links.id, linkId));
  if (!row) throw new ApiError(404, 'LINK_NOT_FOUND', `no link ${linkId}`);
  const { link } = row;
  if (!tokenHash || !sameBytes(tokenHash, link.accessTokenHash)) {
    throw new ApiError(
      403,
      'LINK_TOKEN_INVALID',
      tokenHash
        ? `the access token presented is not link ${linkId}'s: the link was altered, or its password is wrong`
        : `link ${linkId} needs its access token, in the header "Authorization: Link <token>"`,
    );
  }
  if (row.ownerDisabledAt) {
    throw new ApiError(403, 'LINK_OWNER_DISABLED', `the account that made link ${linkId} is disabled`);
  }
  if (link.revokedAt) throw new ApiError(410, 'LINK_REVOKED', `link ${linkId} was revoked by its owner`);
  if (link.expiresAt && link.expiresAt <= now) {
    throw new ApiError(410, 'LINK_EXPIRED', `link ${linkId} expired at ${link.expiresAt.toISOString()}`);
  }
  if (isExhausted(link)) {
    throw new ApiError(
      410,
      'LINK_EXHAUSTED',
      `link ${linkId} was downloaded ${link.downloadCount} times, its limit of ${link.downloadLimit}`,
    );
  }
  return { kind: 'link', link };
}

/**
 * Counts one download against the link's limit, in one statement so that two downloads at once cannot both take the
 * last one; LINK_EXHAUSTED when none is left.
 */
export async function takeLinkDownload(db: Queryable, actor: LinkActor, now: Date): Promise<void> {
  const { link } = actor;
  const taken = await db
    .update(links)
    .set({ downloadCount: sql`${links.downloadCount} + 1`, lastUsedAt: now })
    .where(and(eq(links.id, link.id), or(isNull(links.downloadLimit), lt(links.downloadCount, links.downloadLimit))))
    .returning({ id: links.id });
  if (taken.length === 0) {
    throw new ApiError(410, 'LINK_EXHAUSTED', `link ${link.id} reached its limit of ${link.downloadLimit} downloads`);
  }
}

/**
 * The node, if it is the link's node or inside it (for a folder link), and neither it nor a folder between it and
 * the link's node is in the trash. Anything else is the 404 of a missing id: the link holder learns nothing about the
 * rest of the owner's tree.
 */
export async function authorizeLinkNode(db: Queryable, actor: LinkActor, nodeId: string): Promise<NodeRow> {
  const { link } = actor;
  // Walks up from the node, within the owner's nodes, and stops at the link's node.
  const above = sql`(
      with recursive above(id, parent_id, trashed) as (
        select id, parent_id, trashed_at is not null from ${nodes} where id = ${nodeId} and owner_id = ${link.ownerId}
        union all
        select parent.id, parent.parent_id, parent.trashed_at is not null
          from ${nodes} as parent join above on parent.id = above.parent_id
          where above.id <> ${link.nodeId} and parent.owner_id = ${link.ownerId}
      )
      select bool_or(id = ${link.nodeId}) as inside, bool_or(trashed) as trashed from above
    ) as above`;
  const [row] = await db
    .select({ node: nodes })
    .from(nodes)
    .innerJoin(above, sql`above.inside and not above.trashed`)
    .where(and(eq(nodes.id, nodeId), eq(nodes.ownerId, link.ownerId)));
  if (!row) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId} in link ${link.id}`);
  return row.node;
}

/** The condition on `nodes` that selects the rows of the link's owner, for listings below an authorized node. */
export function linkNodesIn(actor: LinkActor): SQL {
  return eq(nodes.ownerId, actor.link.ownerId);
}

/**
 * The current revision of a file the link reaches: a link shows its item as it is now, so an older revision, one
 * still uploading or another file's is not found.
 */
export async function authorizeLinkRevision(db: Queryable, actor: LinkActor, revisionId: string): Promise<RevisionRow> {
  const notFound = () => new ApiError(404, 'NOT_FOUND', `no revision ${revisionId} in link ${actor.link.id}`);
  const [revision] = await db
    .select()
    .from(revisions)
    .where(
      and(eq(revisions.id, revisionId), eq(revisions.ownerId, actor.link.ownerId), isNotNull(revisions.completedAt)),
    );
  if (!revision) throw notFound();
  const node = await authorizeLinkNode(db, actor, revision.nodeId).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  });
  if (!node || node.currentRevisionId !== revision.id) throw notFound();
  return revision;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export type RequestLinkRow = typeof requestLinks.$inferSelect;
export type RequestUploadRow = typeof requestUploads.$inferSelect;

/**
 * Someone holding a file-request link, with no account: they may start uploads into the link's folder, fill and
 * complete their own, within the link's limits, and nothing else: no listing, no download, not even of what they
 * uploaded. Made only by authorizeRequestLink.
 */
export interface RequestLinkActor {
  kind: 'request-link';
  link: RequestLinkRow;
}

/** The request links an account made, and the uploads waiting for it: the rows it may list, revoke, accept or decline. */
export const requestLinkRows = {
  owned: (actor: Actor) => eq(requestLinks.ownerId, actor.userId),
  pendingFor: (actor: Actor) => and(eq(requestUploads.ownerId, actor.userId), isNotNull(requestUploads.completedAt)),
};

/** A request link the actor made; anyone else gets the 404 of a missing id. */
export async function authorizeOwnRequestLink(db: Queryable, actor: Actor, linkId: string): Promise<RequestLinkRow> {
  const [link] = await db
    .select()
    .from(requestLinks)
    .where(and(eq(requestLinks.id, linkId), requestLinkRows.owned(actor)));
  if (!link) throw new ApiError(404, 'NOT_FOUND', `no request link ${linkId}`);
  return link;
}

/** An upload that arrived through one of the actor's request links and waits for it; anything else is not found. */
export async function authorizePendingUpload(db: Queryable, actor: Actor, uploadId: string): Promise<RequestUploadRow> {
  const [upload] = await db
    .select()
    .from(requestUploads)
    .where(and(eq(requestUploads.id, uploadId), requestLinkRows.pendingFor(actor)));
  if (!upload) throw new ApiError(404, 'NOT_FOUND', `no pending upload ${uploadId}`);
  return upload;
}

/** Whether the request link took all the files or bytes it allows. */
export function isRequestLinkUsedUp(link: Pick<RequestLinkRow, 'maxFiles' | 'fileCount' | 'maxBytes' | 'byteCount'>) {
  return link.fileCount >= link.maxFiles || link.byteCount >= link.maxBytes;
}

/**
 * The holder of a request link, if it is in force. The id is the link's secret (the fragment holds only the owner's
 * fingerprint), so an unknown id, a share link's id among them, is the 404 LINK_NOT_FOUND of a wrong link. Then: an
 * owner an admin disabled (403 LINK_OWNER_DISABLED), revoked, expired and used up (410 LINK_REVOKED, LINK_EXPIRED,
 * LINK_EXHAUSTED), as for share links. An upload already begun took its share of the limits when it began, so it goes on
 * through a link it used up (purpose 'upload-begun').
 */
export async function authorizeRequestLink(
  db: Queryable,
  linkId: string,
  now: Date,
  purpose: 'open' | 'upload-begun',
): Promise<RequestLinkActor> {
  const [row] = await db
    .select({ link: requestLinks, ownerDisabledAt: users.disabledAt })
    .from(requestLinks)
    .innerJoin(users, eq(users.id, requestLinks.ownerId))
    .where(eq(requestLinks.id, linkId));
  if (!row) throw new ApiError(404, 'LINK_NOT_FOUND', `no request link ${linkId}`);
  const { link } = row;
  if (row.ownerDisabledAt) {
    throw new ApiError(403, 'LINK_OWNER_DISABLED', `the account that made request link ${linkId} is disabled`);
  }
  if (link.revokedAt) throw new ApiError(410, 'LINK_REVOKED', `request link ${linkId} was revoked by its owner`);
  if (link.expiresAt && link.expiresAt <= now) {
    throw new ApiError(410, 'LINK_EXPIRED', `request link ${linkId} expired at ${link.expiresAt.toISOString()}`);
  }
  if (purpose === 'open' && isRequestLinkUsedUp(link)) {
    throw new ApiError(
      410,
      'LINK_EXHAUSTED',
      `request link ${linkId} took ${link.fileCount} of its ${link.maxFiles} files and ${link.byteCount} of its ${link.maxBytes} bytes`,
    );
  }
  return { kind: 'request-link', link };
}

/** An upload the request link's holder began through this link and has not completed; anything else is not found. */
export async function authorizeRequestUpload(
  db: Queryable,
  actor: RequestLinkActor,
  uploadId: string,
): Promise<RequestUploadRow> {
  const [upload] = await db
    .select()
    .from(requestUploads)
    .where(
      and(
        eq(requestUploads.id, uploadId),
        eq(requestUploads.requestLinkId, actor.link.id),
        isNull(requestUploads.completedAt),
      ),
    );
  if (!upload)
    throw new ApiError(404, 'NOT_FOUND', `no upload ${uploadId} in progress through request link ${actor.link.id}`);
  return upload;
}
