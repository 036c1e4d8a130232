/** Finding an account by its handle (server/accounts/handles.ts), counted per account so that nobody lists them all. */
import { Hono } from 'hono';
import { lookUpHandle } from '../accounts/handles.ts';
import type { ServerDeps } from '../deps.ts';
import { countAttempts } from '../http/auth-attempts.ts';
import type { AuthEnv } from '../http/auth.ts';

export function handleRoutes(deps: ServerDeps) {
  const lookups = countAttempts(deps, 'handle-lookups', 'handleLookups', (c) => c.get('user').id);
  return new Hono<AuthEnv>().get('/:handle', lookups, async (c) =>
    c.json(await lookUpHandle(deps, c.req.param('handle'))),
  );
}
