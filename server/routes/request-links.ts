/**
 * File-request links, for their owner: make one for a folder from the terms their client signed, list and revoke
 * them, change their limits and expiry, and take or throw away the files that arrived through them. What the uploader reaches is
 * server/routes/request-visits.ts; the work is in server/requests/.
 */
import { Hono } from 'hono';
import {
  acceptRequestUploadSchema,
  createRequestLinkSchema,
  updateRequestLinkSchema,
} from '../../shared/api/schemas.ts';
import { accountActor } from '../access/policy.ts';
import { requestOrigin } from '../auth/audit.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParams, jsonBody } from '../http/validate.ts';
import {
  createRequestLink,
  ownedRequestLinks,
  revokeRequestLink,
  updateRequestLink,
} from '../requests/owner-request-links.ts';
import { acceptPendingUpload, declinePendingUpload, pendingUploads } from '../requests/pending-uploads.ts';

export function requestLinkRoutes(deps: ServerDeps) {
  const linkId = idParams('linkId');
  const uploadId = idParams('uploadId');
  return new Hono<AuthEnv>()
    .post('/', jsonBodyLimit(), jsonBody(createRequestLinkSchema), async (c) =>
      c.json(await createRequestLink(deps, accountActor(c.get('user')), c.req.valid('json'), requestOrigin(c)), 201),
    )
    .get('/', async (c) => c.json(await ownedRequestLinks(deps, accountActor(c.get('user')))))
    .get('/uploads', async (c) => c.json(await pendingUploads(deps, accountActor(c.get('user')))))
    .post('/uploads/:uploadId/accept', jsonBodyLimit(), uploadId, jsonBody(acceptRequestUploadSchema), async (c) =>
      c.json(
        await acceptPendingUpload(
          deps,
          accountActor(c.get('user')),
          c.req.valid('param').uploadId,
          c.req.valid('json'),
          requestOrigin(c),
        ),
      ),
    )
    .delete('/uploads/:uploadId', uploadId, async (c) => {
      await declinePendingUpload(deps, accountActor(c.get('user')), c.req.valid('param').uploadId, requestOrigin(c));
      return c.body(null, 204);
    })
    .patch('/:linkId', jsonBodyLimit(), linkId, jsonBody(updateRequestLinkSchema), async (c) =>
      c.json(
        await updateRequestLink(
          deps,
          accountActor(c.get('user')),
          c.req.valid('param').linkId,
          c.req.valid('json'),
          requestOrigin(c),
        ),
      ),
    )
    .post('/:linkId/revoke', linkId, async (c) =>
      c.json(await revokeRequestLink(deps, accountActor(c.get('user')), c.req.valid('param').linkId, requestOrigin(c))),
    );
}
