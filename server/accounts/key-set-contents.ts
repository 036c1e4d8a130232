/**
 * That a key set states the ways into the account exactly as the change it comes with leaves them (docs/FORMAT.md
 * section 4.8): every passkey the account has then, each with the digest of its PRF wrap or null, and no other; the
 * digests of its passphrase and recovery wraps, or null for none. A key set that states anything else would make the
 * account's devices warn at their next unlock, or vouch for a way in the account does not have.
 */
import { wrapDigest, type KeySet } from '../../shared/crypto/index.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { WRAP_PURPOSES } from '../auth/account-keys.ts';
import type { Queryable } from '../db/database.ts';
import { credentials, wrappedKeys } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';

/** The ways into an account, as the server holds them: its passkeys, and the token text of each wrap. */
export interface WaysIn {
  passkeyIds: readonly string[];
  prfWraps: readonly { credentialId: string; wrapped: string }[];
  passphraseWrap: { wrapped: string } | null;
  recoveryWrap: { wrapped: string } | null;
}

/** The account's ways in as this transaction sees them, after the change it made. */
export async function waysIn(tx: Queryable, actor: Actor): Promise<WaysIn> {
  const passkeys = await tx.select({ id: credentials.id }).from(credentials).where(accountRows.credentials(actor));
  const wraps = await tx
    .select({ purpose: wrappedKeys.purpose, credentialId: wrappedKeys.credentialId, wrapped: wrappedKeys.wrapped })
    .from(wrappedKeys)
    .where(accountRows.wrappedKeys(actor));
  const only = (purpose: string) => {
    const wrap = wraps.find((candidate) => candidate.purpose === purpose);
    return wrap ? { wrapped: wrap.wrapped } : null;
  };
  return {
    passkeyIds: passkeys.map((row) => row.id),
    prfWraps: wraps
      .filter((wrap) => wrap.purpose === WRAP_PURPOSES.prf && wrap.credentialId !== null)
      .map((wrap) => ({ credentialId: wrap.credentialId!, wrapped: wrap.wrapped })),
    passphraseWrap: only(WRAP_PURPOSES.passphrase),
    recoveryWrap: only(WRAP_PURPOSES.recovery),
  };
}

/**
 * 400 KEY_SET_MISMATCH unless `stated` names exactly `ways`. A recovery code used up takes its wrap away without a
 * new key set (FORMAT.md 4.8), so a key set may go on naming that wrap, as `previous` (the stored one) does, until
 * the new recovery code brings its own.
 */
export async function checkKeySetStates(stated: KeySet, ways: WaysIn, previous: KeySet | null): Promise<void> {
  const prf = new Map(ways.prfWraps.map((wrap) => [wrap.credentialId, wrap.wrapped]));
  const named = new Map(stated.passkeys.map((passkey) => [passkey.credentialId, passkey.wrapDigest]));
  const missing = ways.passkeyIds.filter((id) => !named.has(id)).length;
  const extra = stated.passkeys.filter((passkey) => !ways.passkeyIds.includes(passkey.credentialId)).length;
  if (missing > 0 || extra > 0) {
    throw mismatch(
      `the key set names ${stated.passkeys.length} passkey(s), ${extra} of them not the account's and ${missing} of the ` +
        `account's left out; expected exactly the ${ways.passkeyIds.length} the account has after this change`,
    );
  }
  for (const id of ways.passkeyIds) {
    const wrapped = prf.get(id);
    const expected = wrapped === undefined ? null : await wrapDigest(wrapped);
    if (named.get(id) !== expected) {
      throw mismatch(
        `the key set names a passkey with ${describeDigest(named.get(id)!, expected)}, expected ` +
          (expected === null ? 'null: it has no PRF wrap' : 'the digest of its PRF wrap'),
      );
    }
  }
  const passphrase = ways.passphraseWrap && (await wrapDigest(ways.passphraseWrap.wrapped));
  if (stated.passphraseWrapDigest !== passphrase) {
    throw mismatch(
      `the key set's passphraseWrapDigest is ${describeDigest(stated.passphraseWrapDigest, passphrase)}, expected ` +
        (passphrase === null ? 'null: the account has no passphrase wrap' : 'the digest of its passphrase wrap'),
    );
  }
  const recovery = ways.recoveryWrap && (await wrapDigest(ways.recoveryWrap.wrapped));
  const usedUp = recovery === null && stated.recoveryWrapDigest === (previous?.recoveryWrapDigest ?? null);
  if (stated.recoveryWrapDigest !== recovery && !usedUp) {
    throw mismatch(
      `the key set's recoveryWrapDigest is ${describeDigest(stated.recoveryWrapDigest, recovery)}, expected ` +
        (recovery === null
          ? "null, or the stored key set's for a recovery code used up"
          : 'the digest of its recovery wrap'),
    );
  }
}

/** A stated digest that is not the expected one, in words. */
function describeDigest(stated: string | null, expected: string | null): string {
  if (stated === null) return 'null';
  return expected === null ? 'a digest' : 'the digest of another wrap';
}

function mismatch(message: string): ApiError {
  return new ApiError(400, 'KEY_SET_MISMATCH', message);
}
