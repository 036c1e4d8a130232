import { Hono } from 'hono';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { usage } from '../storage/usage.ts';

export function usageRoutes({ db }: ServerDeps) {
  return new Hono<AuthEnv>().get('/', async (c) => c.json(await usage(db, c.get('user'))));
}
