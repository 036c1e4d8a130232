/**
 * Signing in, with a passkey or with the recovery code. The account's wrapped keys are handed out only after one
 * succeeds; signing in again from a signed-in browser replaces its session.
 */
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import type { SignInRequest } from '../../shared/api/auth-schemas.ts';
import type { AccountBundle, AuthenticationOptionsResponse, SignInResponse } from '../../shared/api/responses.ts';
import { sessions, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { sessionTokenHash, startSession, type AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { accountBundle } from './account-keys.ts';
import { checkAssertion } from './assertions.ts';
import { audit } from './audit.ts';
import { consumeChallenge, issueChallenge } from './challenges.ts';
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
  const requestId = c.get('requestId');
  const { challenge } = await consumeChallenge(db, c, response.response.clientDataJSON, 'sign-in', now());
  const stored = await checkAssertion(db, deps.relyingParty, response, challenge, {
    failure: 'sign-in-failed',
    requestId,
    now: now(),
  });
  const [user] = await db.select({ disabledAt: users.disabledAt }).from(users).where(eq(users.id, stored.userId));
  if (!user || user.disabledAt) throw new ApiError(403, 'ACCOUNT_DISABLED', 'this account is disabled');
  await endThisBrowsersSession(deps, c);
  await startSession(db, c, stored.userId, now(), stored.id);
  await audit(db, { type: 'sign-in', userId: stored.userId, requestId, details: { credentialId: stored.id } });
  return { ...(await accountBundle(db, stored.userId)), credentialId: stored.id };
}

export async function recoverAccount(
  deps: ServerDeps,
  c: Context<AuthEnv>,
  recoveryVerifier: string,
): Promise<AccountBundle> {
  const { db, now } = deps;
  const requestId = c.get('requestId');
  const recovered = await useRecoveryCode(db, recoveryVerifier, now());
  if (!recovered) {
    await audit(db, { type: 'recovery-failed', requestId });
    throw new ApiError(
      401,
      'RECOVERY_REFUSED',
      'this recovery code does not open any account (a code works once: after a recovery, use the new one)',
    );
  }
  await endThisBrowsersSession(deps, c);
  await startSession(db, c, recovered.userId, now(), null);
  await audit(db, {
    type: 'recovery-used',
    userId: recovered.userId,
    requestId,
    details: { endedSessions: recovered.endedSessions },
  });
  return recovered.bundle;
}

async function endThisBrowsersSession({ db, now }: ServerDeps, c: Context<AuthEnv>): Promise<void> {
  const previous = await sessionTokenHash(c);
  if (previous) await db.update(sessions).set({ revokedAt: now() }).where(eq(sessions.tokenHash, previous));
}
