/**
 * Deleting an account, by its owner (Settings, "Delete my account") or by an admin: every row of it and every blob
 * goes, and with its sessions it is signed out everywhere at once. What it leaves is what belongs to others:
 *  - files it uploaded into folders others shared with it are those folders' owners', and stay (their author is
 *    forgotten: `author_id` becomes null);
 *  - the other accounts' own security logs keep their events (a share they made to it, say), with its id replaced by
 *    `deleted-account`;
 *  - admin actions it took stay in the instance's log, as the record of what was done to other accounts, naming it as
 *    `adminId` in their details; they go, as every event does, after AUDIT_RETENTION_DAYS.
 * Its own security events go with it. The deletion itself is audited by whoever did it: an admin's action names the
 * account it deleted; an account deleting itself leaves an `account-deleted` event with no account and no id in it.
 */
import { and, eq, inArray, isNull, like, notLike, or, sql } from 'drizzle-orm';
import { accountRows, type Actor } from '../access/policy.ts';
import { keepAnActiveAdmin } from '../admin/active-admins.ts';
import { audit } from '../auth/audit.ts';
import { accountKey } from '../auth/lockout.ts';
import type { Queryable } from '../db/database.ts';
import {
  auditEvents,
  authChallenges,
  authLockouts,
  authRateLimits,
  links,
  nodes,
  requestLinks,
  requestRateLimits,
  revisions,
  uploads,
  users,
} from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { deleteRevisionBlobs } from '../nodes/purge.ts';

/** What the other accounts' records say instead of a deleted account's id. */
export const DELETED_ACCOUNT = 'deleted-account';

/** A deletion names what it deletes: the account's handle, as its owner and others know it, or its id without one. */
export function requireConfirmation(account: { id: string; handle: string | null }, confirm: string): void {
  const expected = account.handle ?? account.id;
  if (confirm.trim().replace(/^@/, '').toLowerCase() !== expected.toLowerCase()) {
    const what = account.handle ? `its handle @${account.handle}` : `its id ${account.id}`;
    throw new ApiError(
      400,
      'CONFIRMATION_MISMATCH',
      `to delete this account, send ${what} as confirm; received "${confirm.slice(0, 64)}"`,
    );
  }
}

/**
 * Deletes the account's rows, in the caller's transaction. Returns the revisions whose blobs go once it commits (its
 * own, and its unfinished uploads into others' trees), as a purge does: a crash in between leaves unread blobs, never
 * a row pointing at a missing one; and how many of them were its own. The account row
 * takes its nodes, revisions, segments, uploads, sessions, passkeys, keys, documents, shares both ways, links and
 * request links with their uploads along (foreign keys, on delete cascade); what names it without a foreign key is
 * deleted here.
 */
export async function removeAccountRows(
  tx: Queryable,
  userId: string,
): Promise<{ revisionIds: string[]; ownRevisions: number }> {
  const owned = await tx.select({ id: revisions.id }).from(revisions).where(eq(revisions.ownerId, userId));
  // Its unfinished uploads into others' trees (as an editor of a share) would hold the owners' quota for good.
  const strays = await tx
    .delete(revisions)
    .where(
      and(
        isNull(revisions.completedAt),
        sql`${revisions.id} in (select ${uploads.revisionId} from ${uploads} where ${uploads.userId} = ${userId})`,
      ),
    )
    .returning({ id: revisions.id });
  await scrubAuditEvents(tx, userId);
  // None of these has a foreign key: a challenge names the account it was issued for, a lockout and a rate limit
  // their bucket (`account:<id>`, `<route>:<id>`, `link:<link id>` for its links and request links).
  await tx.delete(authChallenges).where(eq(authChallenges.userId, userId));
  await tx.delete(authLockouts).where(eq(authLockouts.bucket, accountKey(userId)));
  await tx.delete(authRateLimits).where(like(authRateLimits.bucket, `%:${userId}`));
  const ownLinks = [
    ...(await tx.select({ id: links.id }).from(links).where(eq(links.ownerId, userId))),
    ...(await tx.select({ id: requestLinks.id }).from(requestLinks).where(eq(requestLinks.ownerId, userId))),
  ];
  await tx
    .delete(requestRateLimits)
    .where(inArray(requestRateLimits.bucket, [`account:${userId}`, ...ownLinks.map((link) => `link:${link.id}`)]));
  // Nodes first: their parent references point within the tree, and one statement removes the whole tree at once.
  await tx.delete(nodes).where(eq(nodes.ownerId, userId));
  await tx.delete(users).where(eq(users.id, userId));
  return { revisionIds: [...new Set([...owned, ...strays].map((row) => row.id))], ownRevisions: owned.length };
}

/**
 * The audit log without the account: its own events go, its admin actions stay under `adminId` (see above), and
 * every other event naming it in its details (a share another account made to it, an admin's action on it) names
 * DELETED_ACCOUNT instead.
 */
async function scrubAuditEvents(tx: Queryable, userId: string): Promise<void> {
  const named = sql`exists (select 1 from jsonb_each_text(${auditEvents.details}) as detail where detail.value = ${userId})`;
  await tx
    .update(auditEvents)
    .set({
      details: sql`(select jsonb_object_agg(detail.key, case when detail.value = to_jsonb(${userId}::text)
        then to_jsonb(${DELETED_ACCOUNT}::text) else detail.value end) from jsonb_each(${auditEvents.details}) as detail)`,
    })
    .where(and(or(isNull(auditEvents.userId), sql`${auditEvents.userId} <> ${userId}`), named));
  const ofAccount = eq(auditEvents.userId, userId);
  await tx
    .update(auditEvents)
    .set({ userId: null, details: sql`${auditEvents.details} || jsonb_build_object('adminId', ${userId}::text)` })
    .where(and(ofAccount, like(auditEvents.type, 'admin-%')));
  await tx.delete(auditEvents).where(and(ofAccount, notLike(auditEvents.type, 'admin-%')));
}

/**
 * The signed-in account deletes itself, confirmed by its handle (its id without one), after a fresh passkey check
 * (the route's step-up). The instance's last active admin cannot: another admin must be made first.
 */
export async function deleteOwnAccount(
  { db, blobs, now }: Pick<ServerDeps, 'db' | 'blobs' | 'now'>,
  actor: Actor,
  confirm: string,
): Promise<void> {
  const { revisionIds } = await db.transaction(async (tx) => {
    const [account] = await tx
      .select({ id: users.id, handle: users.handle, role: users.role })
      .from(users)
      .where(accountRows.account(actor))
      .for('update');
    if (!account) throw new ApiError(404, 'NOT_FOUND', `no account ${actor.userId}`);
    requireConfirmation(account, confirm);
    if (account.role === 'admin') await keepAnActiveAdmin(tx, account.id, account.id, 'delete');
    const removed = await removeAccountRows(tx, account.id);
    await audit(tx, {
      type: 'account-deleted',
      userId: null,
      origin: null,
      at: now(),
      details: { revisions: removed.ownRevisions },
    });
    return removed;
  });
  await deleteRevisionBlobs(blobs, revisionIds);
}
