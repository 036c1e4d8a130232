/**
 * What someone holding a file-request link reaches, with no account (docs/FORMAT.md section 4.5): the owner's public
 * keys and signed terms, and uploads into the link's folder by the upload protocol's steps (server/routes/uploads.ts):
 * begin, put chunks, complete. Nothing here reads anything back. Each request is counted against the link's and the
 * client address's rate limits before anything is looked up; the access policy decides the rest
 * (authorizeRequestLink, authorizeRequestUpload).
 */
import { Hono, type Context } from 'hono';
import { createRequestUploadSchema } from '../../shared/api/schemas.ts';
import { authorizeRequestLink } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { rateLimit } from '../http/rate-limit.ts';
import { requestBody } from '../http/request-body.ts';
import { countQuery, idParams, integerParam, jsonBody } from '../http/validate.ts';
import {
  beginRequestUpload,
  completeRequestUpload,
  openRequestLink,
  openRequestStream,
} from '../requests/request-uploads.ts';
import { MAX_CHUNKS_PER_REQUEST, storeChunks } from '../uploads/store-chunks.ts';
import { linkIdParam, type LinkEnv, type LinkLimits } from './link-visits.ts';

export function requestVisitRoutes(deps: ServerDeps, limits: LinkLimits) {
  const uploadId = idParams('uploadId');
  const origin = (c: Context<LinkEnv>) => ({ requestId: c.get('requestId'), clientAddress: c.get('clientAddress') });
  return new Hono<LinkEnv>()
    .use('/:linkId/*', linkIdParam())
    .use('/:linkId', linkIdParam())
    .use(
      rateLimit(
        limits.take,
        limits.perAddress,
        deps.now,
        'this address to links',
        (c) => `link-address:${c.get('clientAddress')}`,
      ),
    )
    .use(rateLimit(limits.take, limits.perLink, deps.now, 'anyone to this link', (c) => `link:${c.get('linkId')}`))
    .get('/:linkId', async (c) =>
      c.json(await openRequestLink(deps.db, await authorizeRequestLink(deps.db, c.get('linkId'), deps.now(), 'open'))),
    )
    .post('/:linkId/uploads', jsonBodyLimit(), jsonBody(createRequestUploadSchema), async (c) => {
      const actor = await authorizeRequestLink(deps.db, c.get('linkId'), deps.now(), 'open');
      return c.json(await beginRequestUpload(deps, actor, c.req.valid('json')), 201);
    })
    .put('/:linkId/uploads/:uploadId/chunks/:index', uploadId, async (c) => {
      const actor = await authorizeRequestLink(deps.db, c.get('linkId'), deps.now(), 'upload-begun');
      const stream = await openRequestStream(deps, actor, c.req.valid('param').uploadId);
      const { chunkCount } = stream.revision;
      const firstIndex = integerParam(c, 'index', chunkCount - 1);
      const declared = c.req.header('content-length');
      await storeChunks(deps, stream, {
        segment: { firstIndex, chunkCount: countQuery(c, Math.min(MAX_CHUNKS_PER_REQUEST, chunkCount - firstIndex)) },
        declaredBytes: declared === undefined ? undefined : Number(declared),
        openBody: () => requestBody(c) ?? new Uint8Array(0),
      });
      return c.body(null, 204);
    })
    .post('/:linkId/uploads/:uploadId/complete', uploadId, async (c) => {
      const actor = await authorizeRequestLink(deps.db, c.get('linkId'), deps.now(), 'upload-begun');
      return c.json(await completeRequestUpload(deps, actor, c.req.valid('param').uploadId, origin(c)));
    });
}
