/**
 * Step-up: a session cookie alone may read and write files, but changing how the account is entered or who is in it
 * (passkeys, passphrase, recovery code, other sessions) needs a passkey check with user verification from the last
 * STEP_UP_MAX_AGE_MS on this session. Starting a session (sign-up, sign-in, recovery) counts as one, so does
 * POST /api/account/step-up. A stolen cookie alone cannot lock the owner out or let its thief in for good.
 */
import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Queryable } from '../db/database.ts';
import { sessions } from '../db/schema.ts';
import type { AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';

export const STEP_UP_MAX_AGE_MS = 5 * 60 * 1000;

/** Refuses with 403 STEP_UP_REQUIRED unless this session proved itself within STEP_UP_MAX_AGE_MS of `at`. */
export function assertSteppedUp(c: Context<AuthEnv>, at: Date): void {
  const { steppedUpAt } = c.get('session');
  if (steppedUpAt && at.getTime() - steppedUpAt.getTime() <= STEP_UP_MAX_AGE_MS) return;
  throw new ApiError(
    403,
    'STEP_UP_REQUIRED',
    `confirm it is you with your passkey: this needs a passkey check from the last ${STEP_UP_MAX_AGE_MS / 60000} minutes`,
  );
}

/** The guard for routes that change the account's credentials or sessions; it runs before the body is read. */
export function requireStepUp(now: () => Date) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    assertSteppedUp(c, now());
    await next();
  });
}

export async function recordStepUp(db: Queryable, sessionId: string, at: Date): Promise<void> {
  await db.update(sessions).set({ steppedUpAt: at }).where(eq(sessions.id, sessionId));
}
