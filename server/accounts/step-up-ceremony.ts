/** A step-up: the signed-in user proves presence with one of their passkeys again, for a few minutes of changes. */
import type { Context } from 'hono';
import type { StepUpRequest } from '../../shared/api/auth-schemas.ts';
import type { AuthenticationOptionsResponse, StepUpResponse } from '../../shared/api/responses.ts';
import { accountRows, requireOwnChallenge, type Actor } from '../access/policy.ts';
import { checkAssertion } from '../auth/assertions.ts';
import { audit, requestOrigin } from '../auth/audit.ts';
import { consumeChallenge, issueChallenge } from '../auth/challenges.ts';
import { authenticationOptions } from '../auth/passkey-ceremonies.ts';
import { recordStepUp, STEP_UP_MAX_AGE_MS } from '../auth/step-up.ts';
import { credentials } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';

export async function stepUpOptions(
  { db, now, relyingParty }: ServerDeps,
  c: Context<AuthEnv>,
  actor: Actor,
): Promise<AuthenticationOptionsResponse> {
  const own = await db
    .select({ id: credentials.id, transports: credentials.transports })
    .from(credentials)
    .where(accountRows.credentials(actor));
  const challenge = await issueChallenge(db, c, 'step-up', now(), actor.userId);
  return { options: await authenticationOptions(relyingParty, challenge, own) };
}

export async function stepUp(
  { db, now, relyingParty }: ServerDeps,
  c: Context<AuthEnv>,
  actor: Actor,
  { response }: StepUpRequest,
): Promise<StepUpResponse> {
  const { challenge, userId } = await consumeChallenge(db, c, response.response.clientDataJSON, 'step-up', now());
  requireOwnChallenge(actor, userId);
  const origin = requestOrigin(c);
  const stored = await checkAssertion(db, relyingParty, response, challenge, {
    accountId: actor.userId,
    failure: 'step-up-failed',
    origin,
    now: now(),
  });
  const at = now();
  await recordStepUp(db, c.get('sessionId'), at);
  await audit(db, { type: 'step-up', userId: actor.userId, origin, at: now(), details: { credentialId: stored.id } });
  return { validUntil: new Date(at.getTime() + STEP_UP_MAX_AGE_MS).toISOString() };
}
