/**
 * What an admin does to accounts: list them (sizes, counts and times, never names, content or keys), set quotas,
 * disable and enable, end sessions, delete. Each change is in the audit log, in the transaction that makes it.
 */
import { and, asc, count, eq, isNotNull, isNull, like, notLike, sql } from 'drizzle-orm';
import type { AdminUsersResponse, EndedSessionsResponse, InstanceResponse } from '../../shared/api/responses.ts';
import {
  auditEvents,
  authChallenges,
  authLockouts,
  credentials,
  instanceSettings,
  nodes,
  revisions,
  sessions,
  uploads,
  users,
} from '../db/schema.ts';
import type { Queryable } from '../db/database.ts';
import { accountKey } from '../auth/lockout.ts';
import { ApiError } from '../http/errors.ts';
import { deleteRevisionBlobs } from '../nodes/purge.ts';
import { usedBytesColumn } from '../storage/usage.ts';
import { auditAdmin, type AdminCaller } from './admin-audit.ts';
import { effectiveMode, instanceRow, type AdminDeps } from './registration.ts';

/** The account row's id, qualified: inside the subqueries below, a bare "id" would be theirs. */
const accountId = sql`"users"."id"`;

export async function listAccounts({ db }: AdminDeps): Promise<AdminUsersResponse> {
  const rows = await db
    .select({
      id: users.id,
      handle: users.handle,
      role: users.role,
      disabledAt: users.disabledAt,
      quotaBytes: users.quotaBytes,
      createdAt: users.createdAt,
      usedBytes: usedBytesColumn(accountId),
      passkeys: sql<string>`(select count(*) from ${credentials} where ${credentials.userId} = ${accountId})`,
      lastActiveAt: sql<Date | string | null>`(select max(${sessions.lastSeenAt}) from ${sessions}
        where ${sessions.userId} = ${accountId})`,
    })
    .from(users)
    .orderBy(asc(users.createdAt), asc(users.id));
  return {
    users: rows.map((row) => ({
      id: row.id,
      handle: row.handle,
      role: row.role,
      status: row.disabledAt ? 'disabled' : 'active',
      usedBytes: Number(row.usedBytes),
      quotaBytes: row.quotaBytes,
      passkeys: Number(row.passkeys),
      createdAt: row.createdAt.toISOString(),
      // A raw subquery's timestamp comes back as text from one driver and a Date from the other.
      lastActiveAt: row.lastActiveAt === null ? null : new Date(row.lastActiveAt).toISOString(),
    })),
  };
}

/** The account row, or 404 naming the id. */
async function existingAccount(db: Queryable, userId: string) {
  const [row] = await db
    .select({ id: users.id, role: users.role, handle: users.handle })
    .from(users)
    .where(eq(users.id, userId));
  if (!row) throw new ApiError(404, 'NOT_FOUND', `no account ${userId}`);
  return row;
}

/** A deletion names what it deletes: the account's handle, as its owner and others know it, or its id without one. */
function requireConfirmation(account: { id: string; handle: string | null }, confirm: string): void {
  const expected = account.handle ?? account.id;
  if (confirm.trim().toLowerCase() !== expected.toLowerCase()) {
    const what = account.handle ? `its handle @${account.handle}` : `its id ${account.id}`;
    throw new ApiError(400, 'CONFIRMATION_MISMATCH', `to delete this account, send ${what} as confirm`);
  }
}

export async function setQuota(
  { db }: AdminDeps,
  caller: AdminCaller,
  userId: string,
  quotaBytes: number,
): Promise<void> {
  await db.transaction(async (tx) => {
    await existingAccount(tx, userId);
    await tx.update(users).set({ quotaBytes }).where(eq(users.id, userId));
    await auditAdmin(tx, caller, 'admin-quota-set', { targetUserId: userId, quotaBytes });
  });
}

/** The quota of accounts made from now on; those that exist keep theirs. */
export async function setDefaultQuota({ db }: AdminDeps, caller: AdminCaller, quotaBytes: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(instanceSettings).set({ defaultQuotaBytes: quotaBytes }).where(eq(instanceSettings.id, 1));
    await auditAdmin(tx, caller, 'admin-default-quota-set', { quotaBytes });
  });
}

/** Refuses to lock the caller out of its own admin account: another admin (or the shell) must do that. */
function refuseSelf(caller: AdminCaller, userId: string, what: string): void {
  if (caller.userId === userId) {
    throw new ApiError(409, 'CANNOT_TARGET_SELF', `an admin cannot ${what} their own account`);
  }
}

/**
 * Locks the active admins' rows and refuses when the caller is no longer one of them, or when `userId` is the last:
 * two admins disabling or deleting each other at once must leave one. The rows are locked in id order, so that two
 * such transactions wait for each other rather than deadlock; the second then sees what the first did.
 */
async function keepAnActiveAdmin(tx: Queryable, caller: AdminCaller, userId: string, what: string): Promise<void> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for('update');
  const ids = admins.map((admin) => admin.id);
  if (caller.userId !== null && !ids.includes(caller.userId)) {
    throw new ApiError(
      409,
      'NOT_AN_ACTIVE_ADMIN',
      `your account is no longer an active admin (another admin disabled or deleted it meanwhile), so it cannot ${what} account ${userId}`,
    );
  }
  if (ids.length === 1 && ids[0] === userId) {
    throw new ApiError(
      409,
      'LAST_ACTIVE_ADMIN',
      `account ${userId} is the last active admin of this Coffer; it cannot be ${what}d while no other admin is active`,
    );
  }
}

async function endSessions(tx: Queryable, userId: string, at: Date): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return ended.length;
}

/** Disables the account and ends its sessions at once: every request of theirs is refused from now on. */
export async function disableAccount(
  { db, now }: AdminDeps,
  caller: AdminCaller,
  userId: string,
): Promise<EndedSessionsResponse> {
  refuseSelf(caller, userId, 'disable');
  return db.transaction(async (tx) => {
    await keepAnActiveAdmin(tx, caller, userId, 'disable');
    await existingAccount(tx, userId);
    const at = now();
    await tx
      .update(users)
      .set({ disabledAt: at })
      .where(and(eq(users.id, userId), isNull(users.disabledAt)));
    const endedSessions = await endSessions(tx, userId, at);
    await auditAdmin(tx, caller, 'admin-user-disabled', { targetUserId: userId, endedSessions });
    return { endedSessions };
  });
}

export async function enableAccount({ db }: AdminDeps, caller: AdminCaller, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await existingAccount(tx, userId);
    await tx.update(users).set({ disabledAt: null }).where(eq(users.id, userId));
    await auditAdmin(tx, caller, 'admin-user-enabled', { targetUserId: userId });
  });
}

export async function endAccountSessions(
  { db, now }: AdminDeps,
  caller: AdminCaller,
  userId: string,
): Promise<EndedSessionsResponse> {
  return db.transaction(async (tx) => {
    await existingAccount(tx, userId);
    const endedSessions = await endSessions(tx, userId, now());
    await auditAdmin(tx, caller, 'admin-sessions-ended', { targetUserId: userId, endedSessions });
    return { endedSessions };
  });
}

/**
 * Deletes the account, every row of it and every blob: the account row takes its nodes, revisions, segments, uploads,
 * sessions, keys, shares and links with it (foreign keys, on delete cascade), its own audit events, challenges and
 * lockout go too, and the revisions' blobs are deleted after the rows commit, as a purge does. `confirm` must repeat the
 * account's handle, or its id when it has none.
 * The admin actions it took stay in the instance's log: they are the other accounts' record (of an account it deleted,
 * say), and now name it in their details, as `adminId`, instead of in `user_id`.
 */
export async function deleteAccount(
  { db, blobs }: AdminDeps,
  caller: AdminCaller,
  userId: string,
  confirm: string,
): Promise<void> {
  refuseSelf(caller, userId, 'delete');
  const revisionIds = await db.transaction(async (tx) => {
    await keepAnActiveAdmin(tx, caller, userId, 'delete');
    const account = await existingAccount(tx, userId);
    requireConfirmation(account, confirm);
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
    const ofAccount = eq(auditEvents.userId, userId);
    await tx
      .update(auditEvents)
      .set({ userId: null, details: sql`${auditEvents.details} || jsonb_build_object('adminId', ${userId}::text)` })
      .where(and(ofAccount, like(auditEvents.type, 'admin-%')));
    await tx.delete(auditEvents).where(and(ofAccount, notLike(auditEvents.type, 'admin-%')));
    // Neither has a foreign key: a challenge names the account it was issued for, a lockout its bucket.
    await tx.delete(authChallenges).where(eq(authChallenges.userId, userId));
    await tx.delete(authLockouts).where(eq(authLockouts.bucket, accountKey(userId)));
    // Nodes first: their parent references point within the tree, and one statement removes the whole tree at once.
    await tx.delete(nodes).where(eq(nodes.ownerId, userId));
    await tx.delete(users).where(eq(users.id, userId));
    await auditAdmin(tx, caller, 'admin-user-deleted', { targetUserId: userId, revisions: owned.length });
    return [...new Set([...owned, ...strays].map((row) => row.id))];
  });
  await deleteRevisionBlobs(blobs, revisionIds);
}

export async function instanceCounts({
  db,
  defaultQuotaBytes,
  registrationDefault,
}: AdminDeps): Promise<InstanceResponse> {
  const [accounts] = await db
    .select({
      users: count(),
      disabledUsers: sql<string>`count(*) filter (where ${isNotNull(users.disabledAt)})`,
      usedBytes: sql<string>`coalesce(sum(${usedBytesColumn(accountId)}), 0)`,
    })
    .from(users);
  const kinds = await db.select({ kind: nodes.kind, count: count() }).from(nodes).groupBy(nodes.kind);
  const settings = await instanceRow(db);
  const ofKind = (kind: 'file' | 'folder') => kinds.find((row) => row.kind === kind)?.count ?? 0;
  return {
    users: accounts?.users ?? 0,
    disabledUsers: Number(accounts?.disabledUsers ?? 0),
    files: ofKind('file'),
    folders: ofKind('folder'),
    usedBytes: Number(accounts?.usedBytes ?? 0),
    defaultQuotaBytes: settings.defaultQuotaBytes ?? defaultQuotaBytes,
    registrationMode: effectiveMode(settings, registrationDefault),
  };
}
