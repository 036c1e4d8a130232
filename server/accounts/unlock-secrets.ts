/** Replacing what unlocks the master key besides passkeys: the recovery code, the passphrase. */
import { and, eq } from 'drizzle-orm';
import type { NewRecoveryCode, PassphraseRequest } from '../../shared/api/auth-schemas.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { passphraseWrapRow, WRAP_PURPOSES } from '../auth/account-keys.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { replaceRecoveryCode } from '../auth/recovery.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { wrappedKeys } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { storeNextKeySet } from './key-sets.ts';

export async function changeRecoveryCode(
  { db, now }: ServerDeps,
  actor: Actor,
  request: NewRecoveryCode,
  origin: RequestOrigin,
): Promise<void> {
  try {
    await db.transaction(async (tx) => {
      await replaceRecoveryCode(tx, actor.userId, request);
      await storeNextKeySet(tx, actor, request.keySet);
      await audit(tx, { type: 'recovery-changed', userId: actor.userId, origin, at: now() });
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ApiError(409, 'RECOVERY_CODE_EXISTS', 'this recovery code already belongs to an account');
    }
    throw error;
  }
}

export async function changePassphrase(
  { db, now }: ServerDeps,
  actor: Actor,
  { passphraseWrap, keySet }: PassphraseRequest,
  origin: RequestOrigin,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .delete(wrappedKeys)
      .where(and(accountRows.wrappedKeys(actor), eq(wrappedKeys.purpose, WRAP_PURPOSES.passphrase)));
    await tx.insert(wrappedKeys).values(passphraseWrapRow(actor.userId, passphraseWrap));
    await storeNextKeySet(tx, actor, keySet);
    await audit(tx, { type: 'passphrase-changed', userId: actor.userId, origin, at: now() });
  });
}
