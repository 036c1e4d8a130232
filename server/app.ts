/** Builds the Coffer HTTP app from its dependencies; server/main.ts only reads configuration and serves it. */
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { BlobStore } from './blobs/blob-store.ts';
import type { Database } from './db/database.ts';
import { requireUser, type AuthEnv } from './http/auth.ts';
import { ApiError, errorBody, handleError } from './http/errors.ts';
import { requestLog, type LogLine } from './http/request-log.ts';
import { healthRoutes } from './routes/health.ts';
import { nodeRoutes } from './routes/nodes.ts';
import { revisionRoutes } from './routes/revisions.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { usageRoutes } from './routes/usage.ts';

export interface AppDeps {
  db: Database;
  blobs: BlobStore;
  /** Directory of the built web app, served at `/`, relative to the working directory. */
  webRoot: string;
  version: string;
  now?: () => Date;
  /** Where the one-line-per-request log goes. */
  log: LogLine;
  /** How long an upload may sit idle before it is collected. */
  uploadIdleMs?: number;
}

export const DEFAULT_UPLOAD_IDLE_MS = 24 * 60 * 60 * 1000;

export function createApp(deps: AppDeps) {
  const now = deps.now ?? (() => new Date());
  const routeDeps = {
    db: deps.db,
    blobs: deps.blobs,
    now,
    limits: { uploadIdleMs: deps.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS },
  };
  const app = new Hono<AuthEnv>()
    .use(requestId())
    .use(requestLog(deps.log))
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
    .use('/api/*', requireUser(deps.db, now))
    .route('/api/uploads', uploadRoutes(routeDeps))
    .route('/api/revisions', revisionRoutes(routeDeps))
    .route('/api/nodes', nodeRoutes(routeDeps))
    .route('/api/usage', usageRoutes(routeDeps))
    .all('/api/*', (c) => {
      throw new ApiError(404, 'NOT_FOUND', `no API route ${c.req.method} ${c.req.path}`);
    })
    .use('/*', serveStatic({ root: deps.webRoot }))
    .get('/*', serveStatic({ root: deps.webRoot, path: 'index.html' }));
  app.onError(handleError);
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `nothing at ${c.req.method} ${c.req.path}`), 404));
  return app;
}

export type CofferApp = ReturnType<typeof createApp>;
