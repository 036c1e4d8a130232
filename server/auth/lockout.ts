/**
 * Lockout after repeated failed sign-ins or recoveries, per account and per client address: from the `threshold`th
 * failure on, each failure refuses further tries for a time that doubles up to a cap. Counted in the database, so that
 * it holds across server processes. A success resets the account's count; failures older than `forgetMs` start over.
 */
import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { authLockouts } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { audit, type RequestOrigin } from './audit.ts';

export interface LockoutPolicy {
  /** The failure that engages the first lockout. */
  threshold: number;
  /** How long the first lockout lasts; each further failure doubles it. */
  firstMs: number;
  capMs: number;
  /** Failures this long apart are not counted together. */
  forgetMs: number;
}

export const LOCKOUT_POLICY: LockoutPolicy = {
  threshold: 5,
  firstMs: 60 * 1000,
  capMs: 60 * 60 * 1000,
  forgetMs: 24 * 60 * 60 * 1000,
};

export const accountKey = (userId: string) => `account:${userId}`;
export const addressKey = (clientAddress: string) => `address:${clientAddress}`;

/** Refuses with 429 LOCKED_OUT, and when it releases, if any of `keys` is locked out. */
export async function assertNotLockedOut(db: Database, keys: string[], now: Date): Promise<void> {
  const locked = await db
    .select({ bucket: authLockouts.bucket, lockedUntil: authLockouts.lockedUntil })
    .from(authLockouts)
    .where(and(inArray(authLockouts.bucket, keys), gt(authLockouts.lockedUntil, now)));
  if (locked.length === 0) return;
  const until = new Date(Math.max(...locked.map((row) => row.lockedUntil!.getTime())));
  const retryAfter = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  const who = locked.some((row) => row.bucket.startsWith('account:')) ? 'this account' : 'this address';
  throw new ApiError(
    429,
    'LOCKED_OUT',
    `too many failed sign-ins or recoveries for ${who}: locked until ${until.toISOString()}; try again in ${retryAfter} s`,
    { 'retry-after': String(retryAfter) },
  );
}

/**
 * Counts a failed sign-in or recovery against the client address and, when known, the account it tried; engages a
 * lockout at the threshold and records it in the account's audit log.
 */
export async function recordAuthFailure(
  { db, now, lockout }: Pick<ServerDeps, 'db' | 'now' | 'lockout'>,
  origin: RequestOrigin,
  userId: string | null,
): Promise<void> {
  const at = now();
  const scopes: { scope: 'account' | 'address'; key: string }[] = [
    { scope: 'address', key: addressKey(origin.clientAddress) },
  ];
  if (userId) scopes.push({ scope: 'account', key: accountKey(userId) });
  for (const { scope, key } of scopes) {
    const failures = await countFailure(db, key, lockout, at);
    if (failures < lockout.threshold) continue;
    const until = new Date(at.getTime() + lockoutMs(lockout, failures));
    await db.update(authLockouts).set({ lockedUntil: until }).where(eq(authLockouts.bucket, key));
    await audit(db, {
      type: 'lockout',
      userId,
      origin,
      at,
      details: { scope, failures, until: until.toISOString() },
    });
  }
}

/** A successful sign-in or recovery: the account's failures are forgiven (its address's are not). */
export async function clearAccountFailures(db: Database, userId: string): Promise<void> {
  await db.delete(authLockouts).where(eq(authLockouts.bucket, accountKey(userId)));
}

export function lockoutMs(policy: LockoutPolicy, failures: number): number {
  const doublings = Math.min(failures - policy.threshold, 30);
  return Math.min(policy.firstMs * 2 ** doublings, policy.capMs);
}

async function countFailure(db: Database, key: string, policy: LockoutPolicy, at: Date): Promise<number> {
  // Raw SQL parameters are passed as text: drivers differ in how they send a Date.
  const forgotten = sql`${new Date(at.getTime() - policy.forgetMs).toISOString()}::timestamptz`;
  const [row] = await db
    .insert(authLockouts)
    .values({ bucket: key, failures: 1, lastFailureAt: at })
    .onConflictDoUpdate({
      target: authLockouts.bucket,
      set: {
        failures: sql`case when ${authLockouts.lastFailureAt} <= ${forgotten} then 1 else ${authLockouts.failures} + 1 end`,
        lastFailureAt: sql`${at.toISOString()}::timestamptz`,
      },
    })
    .returning({ failures: authLockouts.failures });
  return row!.failures;
}
