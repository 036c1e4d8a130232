/** Builds the Coffer HTTP app from its dependencies; server/main.ts only reads configuration and serves it. */
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { RegistrationMode } from '../shared/api/admin-schemas.ts';
import type { BlobStore } from './blobs/blob-store.ts';
import type { BackupConfig } from './config.ts';
import type { Database } from './db/database.ts';
import type { ServerDeps } from './deps.ts';
import { requireUser, useCookiePolicy, type AuthEnv } from './http/auth.ts';
import { apiCacheControl, clearCacheOnSignOut } from './http/cache-control.ts';
import { ApiError, errorBody, handleError } from './http/errors.ts';
import { resolveClientAddress } from './http/client-address.ts';
import { rateLimit, tokenTaker, type RateBuckets, type RateLimit } from './http/rate-limit.ts';
import { createLogger, requestLog, type LogLine } from './http/request-log.ts';
import { LOCKOUT_POLICY, type LockoutPolicy } from './auth/lockout.ts';
import { AUTH_LIMITS, type AuthLimits } from './auth/rate-limits.ts';
import { relyingPartyFor } from './auth/relying-party.ts';
import { requireSameOrigin } from './http/origin.ts';
import { PERMISSIONS_POLICY } from './http/permissions-policy.ts';
import { registerBackupMetrics } from './ops/backup-metrics.ts';
import { createMetrics } from './ops/metrics.ts';
import { opsRoutes } from './ops/ops-routes.ts';
import { accountRoutes } from './routes/account.ts';
import { adminRoutes } from './routes/admin.ts';
import { authRoutes } from './routes/auth.ts';
import { handleRoutes } from './routes/handles.ts';
import { healthRoutes } from './routes/health.ts';
import { nodeRoutes, trashRoutes } from './routes/nodes.ts';
import { revisionRoutes } from './routes/revisions.ts';
import { linkVisitRoutes } from './routes/link-visits.ts';
import { linkRoutes } from './routes/links.ts';
import { requestLinkRoutes } from './routes/request-links.ts';
import { requestVisitRoutes } from './routes/request-visits.ts';
import { shareRoutes } from './routes/shares.ts';
import { uploadBatchRoutes } from './routes/upload-batches.ts';
import { uploadRoutes } from './routes/uploads.ts';
import { usageRoutes } from './routes/usage.ts';

export interface AppDeps {
  db: Database;
  blobs: BlobStore;
  /** Directory of the built web app, served at `/`, relative to the working directory. */
  webRoot: string;
  version: string;
  /** Where users reach Coffer (PUBLIC_ORIGIN): the WebAuthn origin and RP ID, and the Origin mutating requests need. */
  publicOrigin: string;
  /** Storage quota of a new account. */
  defaultQuotaBytes: number;
  /**
   * The registration mode once an admin exists, until an admin sets one. server/main.ts passes REGISTRATION
   * (invite-only unless configured); an app built without it, as tests and embedders do, stays open.
   */
  registrationDefault?: RegistrationMode;
  now?: () => Date;
  /** Where the log's JSON lines go, one per request. */
  log: LogLine;
  /** The bearer token /metrics answers (METRICS_TOKEN); without one, /metrics is off. */
  metricsToken?: string | undefined;
  /** How long an upload may sit idle before it is collected. */
  uploadIdleMs?: number;
  /** API requests allowed per account; each client address may make ADDRESS_RATE_FACTOR times as many. */
  rateLimit?: RateLimit;
  /** Where the rate limits are counted: 'database' (the default) unless this is the only process (PGlite). */
  rateBuckets?: RateBuckets;
  /** How many reverse proxies in front of Coffer append to X-Forwarded-For (TRUST_PROXY); 0 trusts none. */
  trustedProxies?: number;
  /** Requests per share link, and per client address to any link, at the routes that need no account. */
  linkRateLimit?: RateLimit;
  /** Attempts per client address at the auth routes, counted in the database. */
  authLimits?: AuthLimits;
  /** When failed sign-ins and recoveries lock further tries out. */
  lockout?: LockoutPolicy;
  /**
   * Scheduled backups, as configured: the admin screen and /metrics report on them. The process runs them apart from
   * the app (server/backup/scheduled-backup.ts), so that an app built in a test runs none on its own.
   */
  backup?: BackupConfig;
}

export const DEFAULT_UPLOAD_IDLE_MS = 24 * 60 * 60 * 1000;
/** A 1 GiB upload at full speed is about 60 requests per second, in batches of 8 chunks. */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 100, burst: 500 };
/** Several accounts may share an address (a household, an office behind one NAT). */
export const ADDRESS_RATE_FACTOR = 4;
/**
 * A link page makes a few requests, and one per file of a folder it zips; the limit per link is also all the online
 * guesses at its password anyone gets, each of which costs the guesser an Argon2id first.
 */
export const DEFAULT_LINK_RATE_LIMIT: RateLimit = { perSecond: 10, burst: 200 };

export function createApp(deps: AppDeps) {
  const now = deps.now ?? (() => new Date());
  const services: ServerDeps = {
    db: deps.db,
    blobs: deps.blobs,
    now,
    relyingParty: relyingPartyFor(deps.publicOrigin),
    defaultQuotaBytes: deps.defaultQuotaBytes,
    registrationDefault: deps.registrationDefault ?? 'open',
    publicOrigin: deps.publicOrigin,
    authLimits: deps.authLimits ?? AUTH_LIMITS,
    lockout: deps.lockout ?? LOCKOUT_POLICY,
    limits: { uploadIdleMs: deps.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS },
    backup: deps.backup,
  };
  const limit = deps.rateLimit ?? DEFAULT_RATE_LIMIT;
  const takeToken = tokenTaker(deps.rateBuckets ?? 'database', deps.db);
  const addressLimit = { perSecond: limit.perSecond * ADDRESS_RATE_FACTOR, burst: limit.burst * ADDRESS_RATE_FACTOR };
  const linkRate = deps.linkRateLimit ?? DEFAULT_LINK_RATE_LIMIT;
  /** Share links and file-request links are visited under the same limits. */
  const linkLimits = { take: takeToken, perLink: linkRate, perAddress: linkRate };
  const metrics = createMetrics();
  if (deps.backup) registerBackupMetrics(metrics.registry, deps.db);
  const app = new Hono<AuthEnv>()
    .use(requestId())
    .use(requestLog(createLogger(deps.log)))
    .use(metrics.middleware)
    .use(
      secureHeaders({
        // No inline script, nothing from elsewhere: the one defence against a server that serves hostile code
        // that Coffer can make without cryptography (threat model row 11).
        contentSecurityPolicy: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
          styleSrc: ["'self'"],
          // Style attributes only (SvelteKit's screen-reader announcer has one); no <style>, no script.
          styleSrcAttr: ["'unsafe-inline'"],
          // Previews show plaintext that the page decrypted into blob: URLs of its own.
          imgSrc: ["'self'", 'blob:', 'data:'],
          mediaSrc: ["'self'", 'blob:'],
          frameSrc: ["'self'", 'blob:'],
          workerSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          // DOM sinks (innerHTML, script URLs) take no plain strings: only what Svelte's and SvelteKit's own policies
          // make from compiled templates and the service worker's URL, and the app's same-origin script URLs
          // (web/src/lib/trusted-types.ts).
          requireTrustedTypesFor: ["'script'"],
          trustedTypes: ['svelte-trusted-html', 'sveltekit-trusted-url', 'default'],
        },
        // Link secrets live in the URL fragment; no request may carry the page address elsewhere (row 6).
        referrerPolicy: 'no-referrer',
        permissionsPolicy: PERMISSIONS_POLICY,
        // Browsers ignore HSTS over http; sent there it would only mislead. Behind a TLS proxy the origin is https.
        strictTransportSecurity: new URL(deps.publicOrigin).protocol === 'https:',
      }),
    )
    .route('/', opsRoutes({ db: deps.db, blobs: deps.blobs, metrics, metricsToken: deps.metricsToken }))
    .use('/api/*', apiCacheControl())
    .route('/api/health', healthRoutes(deps.version))
    // The address limit comes first, so that requests without a session are limited too.
    .use('/api/*', resolveClientAddress(deps.trustedProxies ?? 0))
    .use(
      '/api/*',
      rateLimit(takeToken, addressLimit, now, 'this address', (c) => `address:${c.get('clientAddress')}`),
    )
    .use('/api/*', requireSameOrigin(deps.publicOrigin))
    .use('/api/*', useCookiePolicy(deps.publicOrigin))
    .route('/api/auth', authRoutes(services))
    .route('/api/s', linkVisitRoutes(services, linkLimits))
    .route('/api/r', requestVisitRoutes(services, linkLimits))
    .use('/api/*', requireUser(deps.db, now))
    .use(
      '/api/*',
      rateLimit(takeToken, limit, now, 'this account', (c) => `account:${c.get('user').id}`),
    )
    .use('/api/account/sign-out', clearCacheOnSignOut())
    .use('/api/account/sign-out-everywhere', clearCacheOnSignOut())
    .use(
      '/api/account/sessions/:sessionId',
      clearCacheOnSignOut((c) => c.req.method === 'DELETE' && c.req.param('sessionId') === c.get('sessionId')),
    )
    .route('/api/account', accountRoutes(services))
    .route('/api/admin', adminRoutes(services))
    .route('/api/handles', handleRoutes(services))
    .route('/api/uploads/batch', uploadBatchRoutes(services))
    .route('/api/uploads', uploadRoutes(services))
    .route('/api/revisions', revisionRoutes(services))
    .route('/api/nodes', nodeRoutes(services))
    .route('/api/trash', trashRoutes(services))
    .route('/api/shares', shareRoutes(services))
    .route('/api/links', linkRoutes(services))
    .route('/api/request-links', requestLinkRoutes(services))
    .route('/api/usage', usageRoutes(services))
    .all('/api/*', (c) => {
      throw new ApiError(404, 'NOT_FOUND', `no API route ${c.req.method} ${c.req.path}`);
    })
    .use('/*', serveStatic({ root: deps.webRoot }))
    .get('/*', serveStatic({ root: deps.webRoot, path: 'index.html' }));
  app.onError(handleError);
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `nothing at ${c.req.method} ${c.req.path}`), 404));
  return app;
}
