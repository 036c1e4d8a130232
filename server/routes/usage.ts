import { Hono } from 'hono';
import type { AuthEnv } from '../http/auth.ts';
import { usedBytes } from '../storage/usage.ts';
import type { ServerDeps } from '../deps.ts';

export function usageRoutes({ db }: ServerDeps) {
  return new Hono<AuthEnv>().get('/', async (c) => {
    const user = c.get('user');
    return c.json({ usedBytes: await usedBytes(db, user.id), quotaBytes: user.quotaBytes });
  });
}
