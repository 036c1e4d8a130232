/**
 * What an admin does to accounts: list them (sizes, counts and times, never names, content or keys), set quotas,
 * disable and enable, end sessions, delete. Each change is in the audit log, in the transaction that makes it.
 */
import { and, asc, count, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { AdminUsersResponse, EndedSessionsResponse, InstanceResponse } from '../../shared/api/responses.ts';
import { credentials, instanceSettings, nodes, sessions, users } from '../db/schema.ts';
import type { Queryable } from '../db/database.ts';
import { removeAccountRows, requireConfirmation } from '../accounts/account-deletion.ts';
import { ApiError } from '../http/errors.ts';
import { deleteRevisionBlobs } from '../nodes/purge.ts';
import { usedBytesColumn } from '../storage/usage.ts';
import { keepAnActiveAdmin } from './active-admins.ts';
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
    await keepAnActiveAdmin(tx, caller.userId, userId, 'disable');
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
 * Deletes the account, every row of it and every blob (server/accounts/account-deletion.ts says what stays: the
 * admin actions it took, and the other accounts' records, without its id). `confirm` must repeat the account's handle,
 * or its id when it has none.
 */
export async function deleteAccount(
  { db, blobs }: AdminDeps,
  caller: AdminCaller,
  userId: string,
  confirm: string,
): Promise<void> {
  refuseSelf(caller, userId, 'delete');
  const revisionIds = await db.transaction(async (tx) => {
    await keepAnActiveAdmin(tx, caller.userId, userId, 'delete');
    const account = await existingAccount(tx, userId);
    requireConfirmation(account, confirm);
    const { revisionIds, ownRevisions } = await removeAccountRows(tx, userId);
    await auditAdmin(tx, caller, 'admin-user-deleted', { targetUserId: userId, revisions: ownRevisions });
    return revisionIds;
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
