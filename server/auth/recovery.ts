/**
 * The recovery code is single-use. Using it takes the account's verifier and recovery wrap away in the same
 * transaction that finds the account (so the same code cannot open it twice, even in two requests at once) and ends
 * every session the account had: whoever held them, the user who recovers starts again alone. The browser then makes a
 * new recovery code and sends its wrap and verifier (PUT /api/account/recovery); until it does, the account has none.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { NewRecoveryCode } from '../../shared/api/auth-schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { accountActor, accountRows } from '../access/policy.ts';
import type { Database, Queryable } from '../db/database.ts';
import { sessions, users, wrappedKeys } from '../db/schema.ts';
import { accountBundle, WRAP_PURPOSES } from './account-keys.ts';

export async function recoveryVerifierHash(verifier: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(decodeBase64url(verifier))));
}

/**
 * Uses the recovery code up: the account it opens and its keys as they were (with the recovery wrap the browser
 * needs once more), or undefined when no active account has this verifier.
 */
export async function useRecoveryCode(db: Database, verifier: string, now: Date) {
  const hash = await recoveryVerifierHash(verifier);
  return db.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ recoveryVerifier: null })
      .where(and(eq(users.recoveryVerifier, hash), isNull(users.disabledAt)))
      .returning({ id: users.id });
    if (!user) return undefined;
    const actor = accountActor(user);
    const bundle = await accountBundle(tx, user.id);
    await tx
      .delete(wrappedKeys)
      .where(and(accountRows.wrappedKeys(actor), eq(wrappedKeys.purpose, WRAP_PURPOSES.recovery)));
    const ended = await tx
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(accountRows.sessions(actor), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    return { userId: user.id, bundle, endedSessions: ended.length };
  });
}

/** Replaces the account's recovery wrap and verifier by a new recovery code's. */
export async function replaceRecoveryCode(tx: Queryable, userId: string, request: NewRecoveryCode): Promise<void> {
  await tx
    .update(users)
    .set({ recoveryVerifier: await recoveryVerifierHash(request.recoveryVerifier) })
    .where(eq(users.id, userId));
  await tx
    .delete(wrappedKeys)
    .where(and(accountRows.wrappedKeys(accountActor({ id: userId })), eq(wrappedKeys.purpose, WRAP_PURPOSES.recovery)));
  await tx.insert(wrappedKeys).values({
    id: crypto.randomUUID(),
    userId,
    purpose: WRAP_PURPOSES.recovery,
    params: { salt: request.recoveryWrap.salt },
    wrapped: request.recoveryWrap.wrapped,
  });
}
