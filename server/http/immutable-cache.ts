import type { Context } from 'hono';

/**
 * Caching headers for content that never changes once written (a completed revision, its chunks, its thumbnail):
 * a strong ETag, cached for good, privately. Returns a 304 response when the client already has this content.
 */
export function immutableContent(c: Context, etag: string, { ranges }: { ranges: boolean }): Response | undefined {
  const quoted = `"${etag}"`;
  c.header('etag', quoted);
  c.header('cache-control', 'private, max-age=31536000, immutable');
  c.header('accept-ranges', ranges ? 'bytes' : 'none');
  c.header('content-type', 'application/octet-stream');
  const known = c.req
    .header('if-none-match')
    ?.split(',')
    .some((tag) => tag.trim() === quoted);
  return known ? c.body(null, 304) : undefined;
}
