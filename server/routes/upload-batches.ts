/** Small files sent whole, many in one request: server/uploads/small-files.ts. */
import { Hono } from 'hono';
import { uploadBatchSchema } from '../../shared/api/schemas.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { uploadBatchBodyLimit } from '../http/limits.ts';
import { readJson } from '../http/validate.ts';
import { uploadSmallFiles } from '../uploads/small-files.ts';

export function uploadBatchRoutes(deps: ServerDeps) {
  return new Hono<AuthEnv>().post('/', uploadBatchBodyLimit(), async (c) => {
    const request = await readJson(c, uploadBatchSchema);
    return c.json({ files: await uploadSmallFiles(deps, c.get('user'), request.files) });
  });
}
