/** Small files sent whole, many in one request: server/uploads/small-files.ts. */
import { Hono } from 'hono';
import type { UploadBatchResponse } from '../../shared/api/responses.ts';
import { uploadBatchSchema } from '../../shared/api/schemas.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { uploadBatchBodyLimit } from '../http/limits.ts';
import { jsonBody } from '../http/validate.ts';
import { uploadSmallFiles } from '../uploads/small-files.ts';

export function uploadBatchRoutes(deps: ServerDeps) {
  return new Hono<AuthEnv>().post('/', uploadBatchBodyLimit(), jsonBody(uploadBatchSchema), async (c) =>
    c.json({
      files: await uploadSmallFiles(deps, c.get('user'), c.req.valid('json').files),
    } satisfies UploadBatchResponse),
  );
}
