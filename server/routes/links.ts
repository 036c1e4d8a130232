/**
 * Share links, for their owner: make one from the wrap and token hash the client derived, list them, change their
 * options, revoke them. A node's links are at GET /api/nodes/:nodeId/links; what a link holder reaches is
 * server/routes/link-visits.ts. The work is in server/links/.
 */
import { Hono } from 'hono';
import { createLinkSchema, editLinkSchema } from '../../shared/api/schemas.ts';
import { accountActor } from '../access/policy.ts';
import { requestOrigin } from '../auth/audit.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParams, jsonBody } from '../http/validate.ts';
import { createLink, editLink, ownedLinks, revokeLink } from '../links/owner-links.ts';

export function linkRoutes(deps: ServerDeps) {
  const linkId = idParams('linkId');
  return new Hono<AuthEnv>()
    .post('/', jsonBodyLimit(), jsonBody(createLinkSchema), async (c) =>
      c.json(await createLink(deps, accountActor(c.get('user')), c.req.valid('json'), requestOrigin(c)), 201),
    )
    .get('/', async (c) => c.json(await ownedLinks(deps, accountActor(c.get('user')))))
    .patch('/:linkId', jsonBodyLimit(), linkId, jsonBody(editLinkSchema), async (c) =>
      c.json(await editLink(deps, accountActor(c.get('user')), c.req.valid('param').linkId, c.req.valid('json'))),
    )
    .post('/:linkId/revoke', linkId, async (c) =>
      c.json(await revokeLink(deps, accountActor(c.get('user')), c.req.valid('param').linkId, requestOrigin(c))),
    );
}
