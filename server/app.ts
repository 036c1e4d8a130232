/** Builds the Coffer HTTP app from its dependencies; server/main.ts only reads configuration and serves it. */
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { ApiError, handleError } from './http/errors.ts';
import { healthRoutes } from './routes/health.ts';

export interface AppDeps {
  /** Directory of the built web app, served at `/`. */
  webRoot: string;
  version: string;
}

export function createApp(deps: AppDeps) {
  const app = new Hono()
    .use(requestId())
    .use(
      secureHeaders({
        // No inline script, nothing from elsewhere: the one defence against a server that serves hostile code
        // that Coffer can make without cryptography (threat model row 11).
        contentSecurityPolicy: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'blob:', 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
        // Link secrets live in the URL fragment; no request may carry the page address elsewhere (row 6).
        referrerPolicy: 'no-referrer',
      }),
    )
    .route('/api/health', healthRoutes(deps.version))
    .all('/api/*', (c) => {
      throw new ApiError(404, 'NOT_FOUND', `no API route ${c.req.method} ${c.req.path}`);
    })
    .use('/*', serveStatic({ root: deps.webRoot }))
    .get('/*', serveStatic({ root: deps.webRoot, path: 'index.html' }));
  app.onError(handleError);
  return app;
}

export type CofferApp = ReturnType<typeof createApp>;
