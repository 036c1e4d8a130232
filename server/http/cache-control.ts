/**
 * What the browser's HTTP cache may keep of the API. Everything it returns is account data (wrapped keys, encrypted
 * metadata, listings, sessions) that must not outlive signing out on a disk the user may not control, so every API
 * response is `no-store`, unless its route marks it cacheable itself: only the revision and thumbnail downloads do,
 * whose ciphertext never changes (server/http/immutable-cache.ts), and only when they succeed.
 */
import { createMiddleware } from 'hono/factory';
import type { Context } from 'hono';

/** A route's own Cache-Control stands only on these: never on an error, which may carry a route's headers. */
const CACHEABLE_STATUSES = new Set([200, 206, 304]);

export function apiCacheControl() {
  return createMiddleware(async (c, next) => {
    await next();
    if (c.res.headers.has('cache-control') && CACHEABLE_STATUSES.has(c.res.status)) return;
    c.res.headers.set('cache-control', 'no-store');
  });
}

/**
 * After signing out, the browser drops its HTTP cache for this origin (Clear-Site-Data), so the immutable ciphertext
 * it kept leaves the disk with the session. `applies` says whether this request signed this browser out.
 */
export function clearCacheOnSignOut<E extends { Variables: { sessionId: string } }>(
  applies: (c: Context<E>) => boolean = () => true,
) {
  return createMiddleware<E>(async (c, next) => {
    await next();
    if (c.res.ok && applies(c)) c.res.headers.set('clear-site-data', '"cache"');
  });
}
