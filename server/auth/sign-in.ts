/**
 * Signing in, with a passkey or with the recovery code. The account's wrapped keys are handed out only after one
 * succeeds; signing in again from a signed-in browser replaces its session.
 */
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { SignInRequest } from '../../shared/api/auth-schemas.ts';
import type { AccountBundle, AuthenticationOptionsResponse, SignInResponse } from '../../shared/api/responses.ts';
import { credentials, sessions, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { accountDisabled, sessionTokenHash, startSession, type AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { accountBundle } from './account-keys.ts';
import { checkAssertion } from './assertions.ts';
import { audit, requestOrigin } from './audit.ts';
import { consumeChallenge, issueChallenge } from './challenges.ts';
import { accountKey, addressKey, assertNotLockedOut, clearAccountFailures, recordAuthFailure } from './lockout.ts';
import { authenticationOptions } from './passkey-ceremonies.ts';
import { useRecoveryCode } from './recovery.ts';

export async function signInOptions(
  { db, now, relyingParty }: ServerDeps,
  c: Context<AuthEnv>,
): Promise<AuthenticationOptionsResponse> {
  const challenge = await issueChallenge(db, c, 'sign-in', now());
  return { options: await authenticationOptions(relyingParty, challenge) };
}

export async function signIn(
  deps: ServerDeps,
  c: Context<AuthEnv>,
  { response }: SignInRequest,
): Promise<SignInResponse> {
  const { db, now } = deps;
  const origin = requestOrigin(c);
  await assertNotLockedOut(db, [addressKey(origin.clientAddress)], now());
  const { challenge } = await consumeChallenge(db, c, response.response.clientDataJSON, 'sign-in', now());
  const [tried] = await db
    .select({ userId: credentials.userId })
    .from(credentials)
    .where(eq(credentials.id, response.id));
  if (tried) await assertNotLockedOut(db, [accountKey(tried.userId)], now());
  let stored;
  try {
    stored = await checkAssertion(db, deps.relyingParty, response, challenge, {
      failure: 'sign-in-failed',
      origin,
      now: now(),
    });
  } catch (error) {
    if (error instanceof ApiError) await recordAuthFailure(deps, origin, tried?.userId ?? null);
    throw error;
  }
  const [user] = await db.select({ disabledAt: users.disabledAt }).from(users).where(eq(users.id, stored.userId));
  if (!user || user.disabledAt) throw accountDisabled(403);
  await endThisBrowsersSession(deps, c);
  await startSession(db, c, stored.userId, now(), stored.id);
  await clearAccountFailures(db, stored.userId);
  await audit(db, { type: 'sign-in', userId: stored.userId, origin, at: now(), details: { credentialId: stored.id } });
  return { ...(await accountBundle(db, stored.userId)), credentialId: stored.id };
}

export async function recoverAccount(
  deps: ServerDeps,
  c: Context<AuthEnv>,
  recoveryVerifier: string,
): Promise<AccountBundle> {
  const { db, now } = deps;
  const origin = requestOrigin(c);
  // A recovery code names no account until it works: the address alone is counted.
  await assertNotLockedOut(db, [addressKey(origin.clientAddress)], now());
  const recovered = await useRecoveryCode(db, recoveryVerifier, now());
  if (!recovered) {
    await audit(db, { type: 'recovery-failed', userId: null, origin, at: now() });
    await recordAuthFailure(deps, origin, null);
    throw new ApiError(
      401,
      'RECOVERY_REFUSED',
      'this recovery code does not open any account (a code works once: after a recovery, use the new one)',
    );
  }
  await endThisBrowsersSession(deps, c);
  await startSession(db, c, recovered.userId, now(), null);
  await clearAccountFailures(db, recovered.userId);
  await audit(db, {
    type: 'recovery-used',
    userId: recovered.userId,
    origin,
    at: now(),
    details: { endedSessions: recovered.endedSessions },
  });
  return recovered.bundle;
}

async function endThisBrowsersSession({ db, now }: ServerDeps, c: Context<AuthEnv>): Promise<void> {
  const previous = await sessionTokenHash(c);
  if (previous) await db.update(sessions).set({ revokedAt: now() }).where(eq(sessions.tokenHash, previous));
}
