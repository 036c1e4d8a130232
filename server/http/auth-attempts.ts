import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { countAuthAttempt, type AuthLimits } from '../auth/rate-limits.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from './auth.ts';

/**
 * Counts an attempt at a ceremony route in the bucket `name:who`, before anything else is checked, so that malformed
 * requests count too.
 */
export function countAttempts(
  { db, now, authLimits }: Pick<ServerDeps, 'db' | 'now' | 'authLimits'>,
  name: string,
  limit: keyof AuthLimits,
  who: (c: Context<AuthEnv>) => string,
) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    await countAuthAttempt(db, `${name}:${who(c)}`, authLimits[limit], now());
    await next();
  });
}
