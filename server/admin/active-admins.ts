/** The instance keeps an active admin: no disabling or deletion, by an admin or by the account itself, removes the last. */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/database.ts';
import { users } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';

/**
 * Locks the active admins' rows and refuses when `callerId` (an account acting as admin, or null for the operator's
 * shell) is no longer one of them, or when `userId` is the last: two admins disabling or deleting each other at once
 * must leave one. The rows are locked in id order, so that two such transactions wait for each other rather than
 * deadlock; the second then sees what the first did.
 */
export async function keepAnActiveAdmin(
  tx: Queryable,
  callerId: string | null,
  userId: string,
  what: string,
): Promise<void> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for('update');
  const ids = admins.map((admin) => admin.id);
  if (callerId !== null && !ids.includes(callerId)) {
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
