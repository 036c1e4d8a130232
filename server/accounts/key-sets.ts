/**
 * The account's signed key set (docs/FORMAT.md section 4.8). The server cannot check the signature's meaning (the
 * devices do), only keep the versions in order: a new key set is taken only as the stored version plus one, in one
 * compare-and-set, and only together with the change to passkeys, passphrase or recovery code it describes. An account
 * made before key sets has none until a device that unlocks it writes version 1.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { SignedKeySet } from '../../shared/crypto/key-set.ts';
import { CofferCryptoError, readKeySet } from '../../shared/crypto/index.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import type { ServerDeps } from '../deps.ts';
import { users } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';

/** The version a well-formed key set of this account states; 400 otherwise. */
function keySetVersion(accountId: string, signed: SignedKeySet): number {
  let stated: ReturnType<typeof readKeySet>['keySet'];
  try {
    stated = readKeySet(signed).keySet;
  } catch (error) {
    if (error instanceof CofferCryptoError) throw new ApiError(400, 'KEY_SET_MALFORMED', error.message);
    throw error;
  }
  if (stated.accountId !== accountId) {
    // The account it names is not echoed: it may be someone else's id, which this caller has no business learning back.
    throw new ApiError(400, 'KEY_SET_MALFORMED', `the key set names another account, expected this one (${accountId})`);
  }
  return stated.version;
}

/**
 * Stores the next key set of the account, in the transaction of the change it describes: 409 KEY_SET_STALE unless it
 * is the stored version plus one (1 when there is none), and 409 KEY_SET_REQUIRED when the account has a key set and
 * the change came without the next one.
 */
export async function storeNextKeySet(tx: Queryable, actor: Actor, signed: SignedKeySet | undefined): Promise<void> {
  if (signed === undefined) {
    const stored = await storedVersion(tx, actor);
    if (stored === null) return;
    throw new ApiError(
      409,
      'KEY_SET_REQUIRED',
      `this change came without a key set; the account's is at version ${stored}, so it needs version ${stored + 1}`,
    );
  }
  const version = keySetVersion(actor.userId, signed);
  const previous = version === 1 ? sql`${users.keySetVersion} is null` : eq(users.keySetVersion, version - 1);
  const written = await tx
    .update(users)
    .set({ keySet: signed, keySetVersion: version })
    .where(and(accountRows.account(actor), previous))
    .returning({ id: users.id });
  if (written.length === 0) {
    const stored = await storedVersion(tx, actor);
    throw new ApiError(
      409,
      'KEY_SET_STALE',
      `the key set sent is version ${version}, but the account's is at version ${stored ?? 'none'}, so the next is version ${(stored ?? 0) + 1}`,
    );
  }
}

/** The version of the key set a sign-up brings, which must be 1. */
export function firstKeySetVersion(accountId: string, signed: SignedKeySet): 1 {
  const version = keySetVersion(accountId, signed);
  if (version !== 1) {
    throw new ApiError(400, 'KEY_SET_MALFORMED', `a new account's key set is version 1, got version ${version}`);
  }
  return version;
}

/** The first key set of an account made before key sets (trust on first use): version 1 only, and only once. */
export async function writeFirstKeySet({ db }: ServerDeps, actor: Actor, signed: SignedKeySet): Promise<void> {
  const version = keySetVersion(actor.userId, signed);
  if (version !== 1) {
    throw new ApiError(
      409,
      'KEY_SET_STALE',
      `the key set sent is version ${version}; only an account with none takes one here, as version 1`,
    );
  }
  await storeNextKeySet(db, actor, signed);
}

async function storedVersion(tx: Queryable, actor: Actor): Promise<number | null> {
  const [row] = await tx.select({ version: users.keySetVersion }).from(users).where(accountRows.account(actor));
  return row?.version ?? null;
}
