/**
 * Who may do what to which node, revision and upload: the one place that decides it, and the only one that builds
 * the condition selecting the rows an actor reaches. Routes and queries take a Scope from here and never compare
 * owner ids themselves, so that sharing adds roles here rather than clauses in every handler.
 */
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/database.ts';
import {
  auditEvents,
  credentials,
  nodes,
  publicKeys,
  revisions,
  sessions,
  uploads,
  wrappedKeys,
} from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { idList, type NodeRow, type NodeWithRevision, withAncestors } from '../nodes/tree-queries.ts';

/**
 * Who is asking. Only signed-in accounts exist yet; a link holder (a secret from a share link, no account) comes with
 * sharing, and is an actor of its own kind so that nothing mistakes it for an account.
 */
export interface Actor {
  kind: 'account';
  userId: string;
}

/** What an actor is to a tree: its owner, or (once sharing lands) a grantee or link holder with a granted role. */
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

/** The actor's own tree. Grants and links will give scopes over other owners' trees, found from the node asked for. */
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

/** An account's own rows: its passkeys, sessions, wrapped and public keys and security log. Nobody else's, ever. */
export const accountRows = {
  credentials: (actor: Actor) => eq(credentials.userId, actor.userId),
  sessions: (actor: Actor) => eq(sessions.userId, actor.userId),
  wrappedKeys: (actor: Actor) => eq(wrappedKeys.userId, actor.userId),
  publicKeys: (actor: Actor) => eq(publicKeys.userId, actor.userId),
  auditEvents: (actor: Actor) => eq(auditEvents.userId, actor.userId),
};

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

/** The node, if the actor may do `action` to it; another owner's id and a missing id get the same 404. */
export async function authorizeNode(
  db: Queryable,
  actor: Actor,
  nodeId: string,
  action: Action,
): Promise<{ node: NodeRow; scope: Scope }> {
  const scope = ownTree(actor);
  const [node] = await db
    .select()
    .from(nodes)
    .where(and(eq(nodes.id, nodeId), nodesIn(scope)));
  if (!node) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
  requireAction(scope, action);
  return { node, scope };
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
