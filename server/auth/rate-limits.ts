/**
 * Rate limits for the auth routes, counted in the database so that they hold across server instances: a fixed window
 * per bucket (a route and a client address), advanced in one upsert so that concurrent requests count correctly.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { authRateLimits } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';

export interface WindowLimit {
  /** What the limit protects, for the message: "sign-in attempts". */
  what: string;
  max: number;
  windowMs: number;
}

export type AuthLimits = Record<'signUp' | 'signIn' | 'recover' | 'passkeys' | 'stepUp' | 'handleLookups', WindowLimit>;

export const AUTH_LIMITS: AuthLimits = {
  signUp: { what: 'sign-ups', max: 10, windowMs: 60 * 60 * 1000 },
  signIn: { what: 'sign-in attempts', max: 30, windowMs: 60 * 1000 },
  recover: { what: 'recovery attempts', max: 5, windowMs: 15 * 60 * 1000 },
  passkeys: { what: 'passkey changes', max: 20, windowMs: 60 * 1000 },
  stepUp: { what: 'passkey checks', max: 20, windowMs: 60 * 1000 },
  // Enough to add contacts one by one; too few to walk the instance's handles and list who is on it.
  handleLookups: { what: 'handle lookups', max: 30, windowMs: 60 * 1000 },
};

export async function countAuthAttempt(db: Database, bucket: string, limit: WindowLimit, now: Date): Promise<void> {
  // Raw SQL parameters are passed as text: drivers differ in how they send a Date.
  const windowStart = sql`${new Date(now.getTime() - limit.windowMs).toISOString()}::timestamptz`;
  const nowValue = sql`${now.toISOString()}::timestamptz`;
  const [row] = await db
    .insert(authRateLimits)
    .values({ bucket, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: authRateLimits.bucket,
      set: {
        count: sql`case when ${authRateLimits.windowStart} <= ${windowStart} then 1 else ${authRateLimits.count} + 1 end`,
        windowStart: sql`case when ${authRateLimits.windowStart} <= ${windowStart} then ${nowValue} else ${authRateLimits.windowStart} end`,
      },
    })
    .returning({ count: authRateLimits.count, windowStart: authRateLimits.windowStart });
  if (row && row.count > limit.max) {
    const retryAfter = Math.max(1, Math.ceil((row.windowStart.getTime() + limit.windowMs - now.getTime()) / 1000));
    throw new ApiError(
      429,
      'RATE_LIMITED',
      `more than ${limit.max} ${limit.what} in ${formatWindow(limit.windowMs)} from this address; try again in ${retryAfter} s`,
      { 'retry-after': String(retryAfter) },
    );
  }
}

function formatWindow(ms: number): string {
  const minutes = ms / 60000;
  return minutes === 1
    ? 'a minute'
    : minutes % 60 === 0
      ? `${minutes / 60} hour${minutes === 60 ? '' : 's'}`
      : `${minutes} minutes`;
}
