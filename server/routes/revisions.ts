/**
 * Downloads: a revision's whole stream (header and chunks), any byte range of it, or one chunk; and its encrypted
 * thumbnail. A revision never changes once complete, so responses carry a strong ETag and may be cached for good,
 * privately. The work is in server/revisions/.
 */
import { Hono } from 'hono';
import { accountActor, authorizeRevision } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { immutableContent } from '../http/immutable-cache.ts';
import { thumbnailBodyLimit } from '../http/limits.ts';
import { parseRange } from '../http/ranges.ts';
import { idParams, integerParam } from '../http/validate.ts';
import { readableRevision } from '../revisions/readable-revision.ts';
import { revisionJson } from '../revisions/revision-json.ts';
import { chunk, streamBytes } from '../revisions/revision-bytes.ts';
import { setThumbnail, thumbnail } from '../revisions/thumbnails.ts';

export function revisionRoutes(deps: ServerDeps) {
  const revisionId = idParams('revisionId');
  return new Hono<AuthEnv>()
    .get('/:revisionId', revisionId, async (c) =>
      c.json(
        revisionJson(await readableRevision(deps.db, accountActor(c.get('user')), c.req.valid('param').revisionId)),
      ),
    )
    .get('/:revisionId/content', revisionId, async (c) => {
      const revision = await readableRevision(deps.db, accountActor(c.get('user')), c.req.valid('param').revisionId);
      const notModified = immutableContent(c, revision.id, { ranges: true });
      if (notModified) return notModified;
      const range = parseRange(c.req.header('range'), revision.size);
      const { start, end } = range ?? { start: 0, end: revision.size };
      const body = await streamBytes(deps, revision, start, end);
      c.header('content-length', String(end - start));
      if (!range) return c.body(body, 200);
      c.header('content-range', `bytes ${start}-${end - 1}/${revision.size}`);
      return c.body(body, 206);
    })
    .get('/:revisionId/chunks/:index', revisionId, async (c) => {
      const revision = await readableRevision(deps.db, accountActor(c.get('user')), c.req.valid('param').revisionId);
      const index = integerParam(c, 'index', revision.chunkCount - 1);
      const notModified = immutableContent(c, `${revision.id}/${index}`, { ranges: false });
      if (notModified) return notModified;
      const { body, length } = await chunk(deps, revision, index);
      c.header('content-length', String(length));
      return c.body(body, 200);
    })
    .put('/:revisionId/thumbnail', thumbnailBodyLimit(), revisionId, async (c) => {
      const actor = accountActor(c.get('user'));
      const { revision, scope } = await authorizeRevision(deps.db, actor, c.req.valid('param').revisionId, 'write');
      return c.json(await setThumbnail(deps, scope, revision, new Uint8Array(await c.req.arrayBuffer())));
    })
    .get('/:revisionId/thumbnail', revisionId, async (c) => {
      const revision = await readableRevision(deps.db, accountActor(c.get('user')), c.req.valid('param').revisionId);
      const stored = thumbnail(deps, revision);
      const notModified = immutableContent(c, `${revision.id}/thumbnail`, { ranges: false });
      if (notModified) return notModified;
      c.header('content-length', String(stored.length));
      return c.body(await stored.open(), 200);
    });
}
