/**
 * Rotating the keys of a folder and everything below it when someone's access is removed (docs/FORMAT.md section
 * 4.6). The owner's client lists what the rotation must cover (rekeyPlan), makes the new keys, wraps and grants, and
 * sends them back; rekeyFolder applies them all in one transaction, or none. The server cannot check a wrap (it has
 * no key); it checks that the rotation covers exactly the subtree and the shares it holds now, so that nothing is
 * left under a key the removed person had, and that every grant names the share it replaces.
 */
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { RekeyPlanResponse, RekeyResponse } from '../../shared/api/responses.ts';
import type { RekeyRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url, type AuthorSignature } from '../../shared/crypto/index.ts';
import {
  authorizeNode,
  newFilesInto,
  nodesIn,
  shareRows,
  type Actor,
  type Scope,
  type ShareRow,
} from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import type { Queryable } from '../db/database.ts';
import { nodes, revisions, shares, uploads, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { shareRecord } from '../shares/share-json.ts';
import { nodeWithRevisionJson } from './node-json.ts';
import { lockTree, type NodeWithRevision } from './tree-queries.ts';

/** Rows per UPDATE statement: three parameters each, well below the protocol's 65,535. */
const ROWS_PER_STATEMENT = 2_000;
/** How many ids an error names before it counts the rest. */
const IDS_NAMED = 5;

export async function rekeyPlan({ db }: ServerDeps, actor: Actor, folderId: string): Promise<RekeyPlanResponse> {
  const { scope } = await authorizeFolder(db, actor, folderId);
  const subtree = await subtreeOf(db, scope, folderId);
  const folders = subtree.filter((row) => row.node.kind === 'folder');
  const rows = await db
    .select({ share: shares, recipientHandle: users.handle })
    .from(shares)
    .leftJoin(users, eq(users.id, shares.recipientId))
    .where(
      and(
        shareRows.given(actor),
        inArray(
          shares.nodeId,
          folders.map((row) => row.node.id),
        ),
      ),
    )
    .orderBy(asc(shares.createdAt), asc(shares.id));
  const pending = await pendingNewFiles(
    db,
    folders.map((row) => row.node.id),
  );
  return {
    folders: folders.map(nodeWithRevisionJson),
    files: subtree.filter((row) => row.node.kind === 'file').map(nodeWithRevisionJson),
    uploads: pending.map((upload) => ({
      id: upload.id,
      nodeId: upload.nodeId,
      parentId: upload.parentId!,
      wrappedKey: upload.wrappedKey!,
    })),
    shares: rows.map((row) => shareRecord(row.share, row.recipientHandle)),
  };
}

export async function rekeyFolder(
  { db, now }: ServerDeps,
  actor: Actor,
  folderId: string,
  request: RekeyRequest,
  origin: RequestOrigin,
): Promise<RekeyResponse> {
  refuseDuplicates(request);
  const tree = (await authorizeFolder(db, actor, folderId)).scope;
  return db.transaction(async (tx) => {
    // Moves, purges and new folders wait for the rotation (they take the tree lock too).
    await lockTree(tx, tree);
    const { scope } = await authorizeFolder(tx, actor, folderId);
    // Under the tree lock the folders stay as they are (new uploads wait for it too, at their quota's lock); new
    // files do not, so the open uploads into these folders are locked, then the folders themselves: inserting a file
    // locks its folder's row against this, so a file published meanwhile is either seen by the subtree read below
    // (and the rotation refused) or lands after the rotation, with the wrap its upload holds then. In this order,
    // because a completion holds its upload's lock while its insert waits for the folder's.
    const lockedFolders = (
      await tx
        .select({ id: nodes.id })
        .from(nodes)
        .where(and(nodesIn(scope), eq(nodes.kind, 'folder'), sql`${nodes.id} in (${subtreeIdsQuery(scope, folderId)})`))
    ).map((row) => row.id);
    await tx.select({ id: uploads.id }).from(uploads).where(newFilesInto(lockedFolders)).for('update');
    await tx.select({ id: nodes.id }).from(nodes).where(inArray(nodes.id, lockedFolders)).for('update');
    const subtree = (await subtreeOf(tx, scope, folderId)).map((row) => row.node);
    checkCovers(
      'folder',
      subtree.filter((node) => node.kind === 'folder'),
      request.folders,
    );
    checkCovers(
      'file',
      subtree.filter((node) => node.kind === 'file'),
      request.files,
    );
    const folderIds = subtree.filter((node) => node.kind === 'folder').map((node) => node.id);
    checkCovers('upload', await pendingNewFiles(tx, folderIds), request.uploads);
    const held = await tx
      .select()
      .from(shares)
      .where(and(shareRows.given(actor), inArray(shares.nodeId, folderIds)));
    checkGrants(scope, held, request.grants);

    const at = now().toISOString();
    for (let start = 0; start < request.folders.length; start += ROWS_PER_STATEMENT) {
      const rows = request.folders
        .slice(start, start + ROWS_PER_STATEMENT)
        .map(
          (folder) =>
            sql`(${folder.id}::uuid, ${folder.wrappedKey}::text, ${base64(folder.encryptedMetadata)}::text, ${signatureJson(folder.authorSignature)}::jsonb)`,
        );
      // The owner re-encrypted each folder's metadata, so the owner is its writer now, signed or not.
      await tx.execute(sql`update ${nodes}
          set wrapped_key = v.wrapped_key, encrypted_metadata = decode(v.metadata, 'base64'),
            author_id = ${actor.userId}::uuid, author_signature = v.author_signature, updated_at = ${at}::timestamptz
          from (values ${sql.join(rows, sql`, `)}) as v(id, wrapped_key, metadata, author_signature)
          where ${nodes}.id = v.id and ${nodesIn(scope, 'nodes')}`);
    }
    for (let start = 0; start < request.files.length; start += ROWS_PER_STATEMENT) {
      const rows = request.files
        .slice(start, start + ROWS_PER_STATEMENT)
        .map((file) => sql`(${file.id}::uuid, ${file.wrappedKey}::text)`);
      await tx.execute(sql`update ${nodes}
          set wrapped_key = v.wrapped_key, updated_at = ${at}::timestamptz
          from (values ${sql.join(rows, sql`, `)}) as v(id, wrapped_key)
          where ${nodes}.id = v.id and ${nodesIn(scope, 'nodes')}`);
    }
    for (const upload of request.uploads) {
      await tx.update(uploads).set({ wrappedKey: upload.wrappedKey }).where(eq(uploads.id, upload.id));
    }
    const shareOf = new Map(held.map((share) => [`${share.nodeId}:${share.recipientId}`, share]));
    for (const grant of request.grants) {
      const share = shareOf.get(`${grant.nodeId}:${grant.recipientId}`)!;
      await tx.update(shares).set({ wrappedGrant: grant, senderId: grant.senderId }).where(eq(shares.id, share.id));
    }
    await audit(tx, {
      type: 'keys-rotated',
      userId: actor.userId,
      origin,
      at: now(),
      details: {
        nodeId: folderId,
        folders: request.folders.length,
        files: request.files.length,
        uploads: request.uploads.length,
        grants: request.grants.length,
      },
    });
    return {
      folders: request.folders.length,
      files: request.files.length,
      uploads: request.uploads.length,
      grants: request.grants.length,
    };
  });
}

/** Only the owner rotates keys (the manage action), and only a folder's: a file's key opens only its own content. */
async function authorizeFolder(db: Queryable, actor: Actor, folderId: string) {
  const reached = await authorizeNode(db, actor, folderId, 'manage');
  if (reached.node.kind !== 'folder') {
    throw new ApiError(409, 'NOT_A_FOLDER', `node ${folderId} is a file; only a folder's keys are rotated`);
  }
  return reached;
}

function subtreeIdsQuery(scope: Scope, folderId: string): SQL {
  return sql`with recursive subtree(id) as (
      select id from ${nodes} where ${nodesIn(scope)} and id = ${folderId}
      union all
      select child.id from ${nodes} as child join subtree on child.parent_id = subtree.id
        where ${nodesIn(scope, 'child')}
    )
    select id from subtree`;
}

/**
 * The folder and every node below it, trashed or not, from the top down (a node after its parent), each with its
 * current revision.
 */
async function subtreeOf(db: Queryable, scope: Scope, folderId: string): Promise<NodeWithRevision[]> {
  const subtree = sql`(
      with recursive subtree(id, depth) as (
        select id, 0 from ${nodes} where ${nodesIn(scope)} and id = ${folderId}
        union all
        select child.id, subtree.depth + 1 from ${nodes} as child join subtree on child.parent_id = subtree.id
          where ${nodesIn(scope, 'child')}
      )
      select id, depth from subtree
    ) as subtree`;
  return db
    .select({ node: nodes, revision: revisions })
    .from(nodes)
    .leftJoin(revisions, eq(revisions.id, nodes.currentRevisionId))
    .innerJoin(subtree, sql`subtree.id = ${nodes.id}`)
    .orderBy(sql`subtree.depth`, asc(nodes.id));
}

function refuseDuplicates(request: RekeyRequest): void {
  const seen = new Set<string>();
  for (const { id } of [...request.folders, ...request.files, ...request.uploads]) {
    if (seen.has(id))
      throw new ApiError(400, 'DUPLICATE_NODE', `${id} is listed twice; list each node and upload once`);
    seen.add(id);
  }
  const grants = new Set<string>();
  for (const grant of request.grants) {
    const key = `${grant.nodeId}:${grant.recipientId}`;
    if (grants.has(key)) {
      throw new ApiError(
        400,
        'DUPLICATE_GRANT',
        `two grants of node ${grant.nodeId} to ${grant.recipientId}; send one per share`,
      );
    }
    grants.add(key);
  }
}

/** The request must list exactly the subtree's nodes of this kind (or its open uploads) as the server holds them now. */
function checkCovers(
  kind: 'folder' | 'file' | 'upload',
  held: readonly { id: string }[],
  sent: readonly { id: string }[],
): void {
  const heldIds = new Set(held.map((node) => node.id));
  const sentIds = new Set(sent.map((node) => node.id));
  const missing = [...heldIds].filter((id) => !sentIds.has(id));
  const extra = [...sentIds].filter((id) => !heldIds.has(id));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [];
  if (missing.length > 0)
    parts.push(`the server holds ${kind}s ${named(missing)} there that the request does not list`);
  if (extra.length > 0) parts.push(`the request lists ${kind}s ${named(extra)} that are not there`);
  throw new ApiError(
    409,
    'SUBTREE_CHANGED',
    `the folder's contents changed since they were listed: ${parts.join('; ')}. List them again and retry`,
  );
}

/**
 * Every share of a folder in the subtree gets a new grant of that folder's new key, from the owner, to the same
 * recipient, with the same role; a grant for a share that is not there (revoked meanwhile) is refused too.
 */
function checkGrants(scope: Scope, held: ShareRow[], grants: RekeyRequest['grants']): void {
  const sent = new Set(grants.map((grant) => `${grant.nodeId}:${grant.recipientId}`));
  const heldOf = new Map(held.map((share) => [`${share.nodeId}:${share.recipientId}`, share]));
  const missing = held.filter((share) => !sent.has(`${share.nodeId}:${share.recipientId}`));
  const extra = grants.filter((grant) => !heldOf.has(`${grant.nodeId}:${grant.recipientId}`));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [];
    if (missing.length > 0) {
      parts.push(`shares ${named(missing.map((share) => share.id))} need a new grant that the request does not have`);
    }
    if (extra.length > 0) {
      parts.push(
        `grants to ${named(extra.map((grant) => `${grant.recipientId} of ${grant.nodeId}`))} match no share there`,
      );
    }
    throw new ApiError(
      409,
      'SHARES_CHANGED',
      `the folder's shares changed since they were listed: ${parts.join('; ')}. List them again and retry`,
    );
  }
  for (const grant of grants) {
    const share = heldOf.get(`${grant.nodeId}:${grant.recipientId}`)!;
    const terms: { field: string; got: string; want: string; why: string }[] = [
      { field: 'sender', got: grant.senderId, want: scope.actor.userId, why: 'the account rotating' },
      { field: 'owner', got: grant.ownerId, want: scope.ownerId, why: "the node's owner" },
      { field: 'kind', got: grant.kind, want: 'folder', why: 'the node is a folder' },
      { field: 'role', got: grant.role, want: share.role, why: "the share's role" },
    ];
    const wrong = terms.find((term) => term.got !== term.want);
    if (wrong) {
      throw new ApiError(
        400,
        'GRANT_MISMATCH',
        `the grant of ${grant.nodeId} to ${grant.recipientId} names ${wrong.field} ${wrong.got}; expected ${wrong.want} (${wrong.why})`,
      );
    }
  }
}

/** The open uploads of new files into these folders, oldest first. */
function pendingNewFiles(db: Queryable, folderIds: readonly string[]) {
  return db.select().from(uploads).where(newFilesInto(folderIds)).orderBy(asc(uploads.createdAt), asc(uploads.id));
}

function named(ids: readonly string[]): string {
  const shown = ids.slice(0, IDS_NAMED).join(', ');
  return ids.length > IDS_NAMED ? `${shown} and ${ids.length - IDS_NAMED} more` : shown;
}

/** Postgres 15's decode() reads standard, padded base64, not base64url. */
function base64(base64url: string): string {
  return Buffer.from(decodeBase64url(base64url)).toString('base64');
}

function signatureJson(signature: AuthorSignature | undefined): string | null {
  return signature ? JSON.stringify(signature) : null;
}
