/**
 * The upload protocol: create an upload (declaring the stream's header, size and chunk count), put chunks by index
 * (idempotent, any order, in parallel), see what has arrived (to resume), complete (one transaction makes the revision
 * visible) or abort. The work is in server/uploads/.
 */
import { Hono } from 'hono';
import { completeUploadSchema, createUploadSchema } from '../../shared/api/schemas.ts';
import { accountActor } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { requestBody } from '../http/request-body.ts';
import { countQuery, idParams, integerParam, jsonBody } from '../http/validate.ts';
import { completeUpload } from '../uploads/complete-upload.ts';
import { createUpload } from '../uploads/create-upload.ts';
import { abortUpload } from '../uploads/discard-upload.ts';
import { listOpenUploads, readUpload } from '../uploads/open-uploads.ts';
import { MAX_CHUNKS_PER_REQUEST, storeChunks } from '../uploads/store-chunks.ts';
import { keepUploadAlive, loadOpenUpload } from '../uploads/upload-rows.ts';

export function uploadRoutes(deps: ServerDeps) {
  const uploadId = idParams('uploadId');
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json(await listOpenUploads(deps, accountActor(c.get('user')))))
    .post('/', jsonBodyLimit(), jsonBody(createUploadSchema), async (c) => {
      const user = c.get('user');
      return c.json(await createUpload(deps, accountActor(user), user, c.req.valid('json')), 201);
    })
    .get('/:uploadId', uploadId, async (c) =>
      c.json(await readUpload(deps, accountActor(c.get('user')), c.req.valid('param').uploadId)),
    )
    .put('/:uploadId/chunks/:index', uploadId, async (c) => {
      const open = await loadOpenUpload(
        deps.db,
        accountActor(c.get('user')),
        c.req.valid('param').uploadId,
        deps.now(),
      );
      const { chunkCount } = open.upload.revision;
      const firstIndex = integerParam(c, 'index', chunkCount - 1);
      // Several consecutive chunks may travel in one request body, which saves a request's work per chunk.
      const segment = {
        firstIndex,
        chunkCount: countQuery(c, Math.min(MAX_CHUNKS_PER_REQUEST, chunkCount - firstIndex)),
      };
      const declared = c.req.header('content-length');
      const stream = {
        revision: open.upload.revision,
        expiresAt: open.upload.expiresAt,
        used: open.used,
        quotaBytes: open.quotaBytes,
        keepAlive: (expiresAt: Date) => keepUploadAlive(deps.db, open.upload.id, expiresAt),
      };
      await storeChunks(deps, stream, {
        segment,
        declaredBytes: declared === undefined ? undefined : Number(declared),
        openBody: () => requestBody(c) ?? new Uint8Array(0),
      });
      return c.body(null, 204);
    })
    .post(
      '/:uploadId/complete',
      jsonBodyLimit(),
      uploadId,
      jsonBody(completeUploadSchema, { emptyAs: {} }),
      async (c) =>
        c.json(
          await completeUpload(deps, accountActor(c.get('user')), c.req.valid('param').uploadId, c.req.valid('json')),
        ),
    )
    .delete('/:uploadId', uploadId, async (c) => {
      await abortUpload(deps, accountActor(c.get('user')), c.req.valid('param').uploadId);
      return c.body(null, 204);
    });
}
