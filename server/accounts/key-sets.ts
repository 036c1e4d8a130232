/**
 * The account's signed key set (docs/FORMAT.md section 4.8). The server checks what it can without the account's
 * secrets: that the key set is this account's, names the account's published public keys and is signed by its
 * published signing key, so that nothing the account did not sign is stored to make its devices warn. The devices
 * still check it themselves, against the signing key they derive. The server also keeps the versions in order: a new
 * key set is taken only as the stored version plus one, in one compare-and-set, and only together with the change to
 * passkeys, passphrase or recovery code it describes, naming the ways in exactly as that change leaves them
 * (key-set-contents.ts). An account made before key sets has none until a device that unlocks it writes version 1.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { KeySet, SignedKeySet } from '../../shared/crypto/key-set.ts';
import { CofferCryptoError, decodeBase64url, readKeySet, verifyKeySet } from '../../shared/crypto/index.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import type { ServerDeps } from '../deps.ts';
import { publicKeys, users } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { checkKeySetStates, waysIn, type WaysIn } from './key-set-contents.ts';

/** The account's published public keys, SPKI bytes, which its key set must name and be signed by. */
export interface AccountPublicKeys {
  sharing: Uint8Array;
  signing: Uint8Array;
}

/**
 * A key set of this account, once it is known to be well formed (400 KEY_SET_MALFORMED), and to be this account's,
 * name the account's public keys and be signed by its signing key (400 KEY_SET_INVALID).
 */
async function verifiedKeySet(
  accountId: string,
  signed: SignedKeySet,
  accountKeys: () => Promise<AccountPublicKeys>,
): Promise<KeySet> {
  let stated: KeySet;
  try {
    stated = readKeySet(signed).keySet;
  } catch (error) {
    if (error instanceof CofferCryptoError) throw new ApiError(400, 'KEY_SET_MALFORMED', error.message);
    throw error;
  }
  if (stated.accountId !== accountId) {
    // Well formed, but not this account's: it does not verify for this account, as a reader refuses it (FORMAT.md 4.8).
    // The account it names is not echoed: it may be someone else's id, which this caller has no business learning back.
    throw new ApiError(400, 'KEY_SET_INVALID', `the key set names another account, expected this one (${accountId})`);
  }
  const keys = await accountKeys();
  for (const purpose of ['sharing', 'signing'] as const) {
    if (!sameBytes(decodeBase64url(stated.publicKeys[purpose]), keys[purpose])) {
      throw new ApiError(
        400,
        'KEY_SET_INVALID',
        `the key set names a ${purpose} public key that is not the account's, expected the one the account published`,
      );
    }
  }
  try {
    await verifyKeySet(signed, accountId, keys.signing);
  } catch (error) {
    if (error instanceof CofferCryptoError && error.code === 'KEY_SET_INVALID') {
      throw new ApiError(
        400,
        'KEY_SET_INVALID',
        "the key set's signature does not verify with the account's published signing key, expected one it made",
      );
    }
    if (error instanceof CofferCryptoError) throw new ApiError(400, 'KEY_SET_INVALID', error.message);
    throw error;
  }
  return stated;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The account's published public keys, which every account publishes at sign-up. */
async function accountPublicKeys(tx: Queryable, actor: Actor): Promise<AccountPublicKeys> {
  const rows = await tx
    .select({ purpose: publicKeys.purpose, publicKey: publicKeys.publicKey })
    .from(publicKeys)
    .where(accountRows.publicKeys(actor));
  const key = (purpose: string) => {
    const row = rows.find((candidate) => candidate.purpose === purpose);
    if (!row) {
      throw new ApiError(
        400,
        'KEY_SET_INVALID',
        `the account has no published ${purpose} key to check a key set against; expected one from its sign-up`,
      );
    }
    return row.publicKey;
  };
  return { sharing: key('sharing'), signing: key('signing') };
}

/**
 * Stores the next key set of the account, in the transaction and after the change it describes: 400 unless the account
 * signed it, 409 KEY_SET_STALE unless it is the stored version plus one (1 when there is none), 400 KEY_SET_MISMATCH
 * unless it names the ways in as the change leaves them, and 409 KEY_SET_REQUIRED when the account has a key set and
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
  const stated = await verifiedKeySet(actor.userId, signed, () => accountPublicKeys(tx, actor));
  const previous = await storedKeySet(tx, actor);
  await storeVersion(tx, actor, signed, stated.version);
  // After the compare-and-set, so that a change raced by another device's is told it is stale, not that it differs.
  await checkKeySetStates(stated, await waysIn(tx, actor), previous);
}

/**
 * The version of the key set a sign-up brings, which must be 1, signed by the signing key it publishes, and name the
 * ways in the sign-up makes.
 */
export async function firstKeySetVersion(
  accountId: string,
  signed: SignedKeySet,
  keys: AccountPublicKeys,
  ways: WaysIn,
): Promise<1> {
  const stated = await verifiedKeySet(accountId, signed, async () => keys);
  if (stated.version !== 1) {
    throw new ApiError(400, 'KEY_SET_MALFORMED', `a new account's key set is version 1, got version ${stated.version}`);
  }
  await checkKeySetStates(stated, ways, null);
  return 1;
}

/** The first key set of an account made before key sets (trust on first use): version 1 only, and only once. */
export async function writeFirstKeySet({ db }: ServerDeps, actor: Actor, signed: SignedKeySet): Promise<void> {
  const stated = await verifiedKeySet(actor.userId, signed, () => accountPublicKeys(db, actor));
  const { version } = stated;
  if (version !== 1) {
    throw new ApiError(
      409,
      'KEY_SET_STALE',
      `the key set sent is version ${version}; only an account with none takes one here, as version 1`,
    );
  }
  await checkKeySetStates(stated, await waysIn(db, actor), null);
  await storeVersion(db, actor, signed, version);
}

/** Stores a verified key set as `version`: 409 KEY_SET_STALE unless that is the stored version plus one. */
async function storeVersion(tx: Queryable, actor: Actor, signed: SignedKeySet, version: number): Promise<void> {
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

/** The stored key set, as it was verified when it was stored; null when the account has none. */
async function storedKeySet(tx: Queryable, actor: Actor): Promise<KeySet | null> {
  const [row] = await tx.select({ keySet: users.keySet }).from(users).where(accountRows.account(actor));
  return row?.keySet ? readKeySet(row.keySet).keySet : null;
}

async function storedVersion(tx: Queryable, actor: Actor): Promise<number | null> {
  const [row] = await tx.select({ version: users.keySetVersion }).from(users).where(accountRows.account(actor));
  return row?.version ?? null;
}
