/**
 * Requests that change something must come from Coffer's own pages: their Origin header must be the public origin.
 * SameSite=Strict cookies already keep other sites' requests unauthenticated; this also covers requests that need no
 * session (sign-up, sign-in) and browsers that send cookies more loosely.
 */
import { createMiddleware } from 'hono/factory';
import { ApiError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requireSameOrigin(publicOrigin: string) {
  return createMiddleware(async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      if (origin !== publicOrigin) {
        throw new ApiError(
          403,
          'BAD_ORIGIN',
          origin === undefined
            ? `a ${c.req.method} request needs an Origin header (${publicOrigin})`
            : `requests from ${JSON.stringify(origin.slice(0, 100))} are refused; Coffer is served from ${publicOrigin}`,
        );
      }
    }
    await next();
  });
}
