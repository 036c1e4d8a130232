/**
 * Checking a passkey assertion against the stored credential, for signing in and for step-up alike: the credential is
 * registered (to this account, for a step-up), its user handle names its account, the signature, challenge, origin,
 * RP ID, user verification and counter verify, and the new counter is stored by compare-and-set, so that two uses
 * racing with the same counter (a cloned authenticator) cannot both pass. Each refusal is audited.
 */
import { and, eq } from 'drizzle-orm';
import { encodeBase64url, uuidToBytes } from '../../shared/crypto/index.ts';
import type { Database } from '../db/database.ts';
import { credentials } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import { audit, type AuditType, type RequestOrigin } from './audit.ts';
import { verifyAssertion } from './passkey-ceremonies.ts';
import type { RelyingParty } from './relying-party.ts';

export interface AssertionResponse {
  id: string;
  response: { userHandle?: string | undefined };
}

export interface AssertionCheck {
  /** For a step-up: the account the credential must belong to. */
  accountId?: string;
  /** The audit event recorded for each refusal. */
  failure: Extract<AuditType, 'sign-in-failed' | 'step-up-failed'>;
  origin: RequestOrigin;
  now: Date;
}

export type StoredCredential = typeof credentials.$inferSelect;

export async function checkAssertion(
  db: Database,
  rp: RelyingParty,
  response: AssertionResponse,
  challenge: string,
  check: AssertionCheck,
): Promise<StoredCredential> {
  const refuse = async (userId: string | null, reason: string, error: ApiError): Promise<never> => {
    await audit(db, { type: check.failure, userId, origin: check.origin, at: check.now, details: { reason } });
    throw error;
  };
  // 1. The credential must be one of ours (of this account, for a step-up).
  const [stored] = await db.select().from(credentials).where(eq(credentials.id, response.id));
  if (!stored) {
    return refuse(
      check.accountId ?? null,
      'unknown credential',
      new ApiError(401, 'UNKNOWN_CREDENTIAL', 'this passkey is not registered with Coffer, or was removed'),
    );
  }
  if (check.accountId !== undefined && stored.userId !== check.accountId) {
    return refuse(
      check.accountId,
      'credential of another account',
      new ApiError(401, 'NOT_THIS_ACCOUNT', 'this passkey belongs to another account than the one signed in here'),
    );
  }
  // 2. A discoverable credential names its account; it must be the account the credential belongs to.
  const userHandle = response.response.userHandle;
  if (userHandle !== undefined && userHandle !== encodeBase64url(uuidToBytes(stored.userId), { padding: false })) {
    return refuse(
      stored.userId,
      'user handle',
      new ApiError(401, 'WEBAUTHN_REFUSED', 'the passkey names another account than the one it belongs to'),
    );
  }
  // 3. Signature, challenge, origin, RP ID, user verification and the signature counter.
  let newCounter;
  try {
    newCounter = await verifyAssertion(rp, response, challenge, {
      id: stored.id,
      publicKey: new Uint8Array(stored.publicKey),
      counter: stored.counter,
      transports: stored.transports,
    });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return refuse(stored.userId, error.message, error);
  }
  // 4. The counter moves only from the value the check above was made against.
  const [updated] = await db
    .update(credentials)
    .set({ counter: newCounter, lastUsedAt: check.now })
    .where(and(eq(credentials.id, stored.id), eq(credentials.counter, stored.counter)))
    .returning({ id: credentials.id });
  if (!updated) {
    return refuse(
      stored.userId,
      'counter changed during the check',
      new ApiError(
        409,
        'CONCURRENT_USE',
        'this passkey was used by another sign-in at the same moment (its signature counter moved while this one was checked): a cloned authenticator, or a double click; try again',
      ),
    );
  }
  return stored;
}
