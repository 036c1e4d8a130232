/**
 * Sharing with other accounts: make a share from a grant the client made, list those offered to the caller, accept,
 * decline, and end a share (its owner revokes it, its recipient removes it); list those the caller made. Who has
 * access to a node is at GET /api/nodes/:nodeId/shares. The work is in server/shares/.
 */
import { Hono } from 'hono';
import { createShareSchema } from '../../shared/api/schemas.ts';
import { accountActor } from '../access/policy.ts';
import { requestOrigin } from '../auth/audit.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParams, jsonBody } from '../http/validate.ts';
import { createShare } from '../shares/create-share.ts';
import { acceptShare, declineShare, endShare } from '../shares/share-answers.ts';
import { incomingShares, outgoingShares } from '../shares/share-listings.ts';

export function shareRoutes(deps: ServerDeps) {
  const shareId = idParams('shareId');
  return new Hono<AuthEnv>()
    .post('/', jsonBodyLimit(), jsonBody(createShareSchema), async (c) =>
      c.json(await createShare(deps, accountActor(c.get('user')), c.req.valid('json'), requestOrigin(c)), 201),
    )
    .get('/incoming', async (c) => c.json(await incomingShares(deps, accountActor(c.get('user')))))
    .get('/outgoing', async (c) => c.json(await outgoingShares(deps, accountActor(c.get('user')))))
    .post('/:shareId/accept', shareId, async (c) =>
      c.json(await acceptShare(deps, accountActor(c.get('user')), c.req.valid('param').shareId, requestOrigin(c))),
    )
    .post('/:shareId/decline', shareId, async (c) => {
      await declineShare(deps, accountActor(c.get('user')), c.req.valid('param').shareId, requestOrigin(c));
      return c.body(null, 204);
    })
    .delete('/:shareId', shareId, async (c) => {
      await endShare(deps, accountActor(c.get('user')), c.req.valid('param').shareId, requestOrigin(c));
      return c.body(null, 204);
    });
}
