/**
 * Routes for the machines that run Coffer, outside /api (no session, no rate limit, no Origin check):
 * `/healthz` (the process answers), `/readyz` (it can serve: database and blob store reachable) and `/metrics`
 * (Prometheus text format), which answers only a bearer token, METRICS_TOKEN, and is off (404) without one.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { Database } from '../db/database.ts';
import { errorBody } from '../http/errors.ts';
import type { Metrics } from './metrics.ts';
import { checkReadiness } from './readiness.ts';

export interface OpsDeps {
  db: Database;
  blobs: BlobStore;
  metrics: Metrics;
  metricsToken?: string | undefined;
}

export function opsRoutes(deps: OpsDeps) {
  // Every answer is about this moment: no cache may keep it.
  const noStore = { 'cache-control': 'no-store' };
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }, 200, noStore))
    .get('/readyz', async (c) => {
      const { ready, checks } = await checkReadiness(deps.db, deps.blobs);
      return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503, noStore);
    })
    .get('/metrics', async (c) => {
      c.header('cache-control', 'no-store');
      if (deps.metricsToken === undefined) {
        return c.json(errorBody('NOT_FOUND', 'metrics are off: set METRICS_TOKEN to serve them'), 404);
      }
      if (!bearerMatches(c.req.header('authorization'), deps.metricsToken)) {
        c.header('www-authenticate', 'Bearer realm="metrics"');
        return c.json(errorBody('UNAUTHENTICATED', 'metrics need Authorization: Bearer <METRICS_TOKEN>'), 401);
      }
      const text = await deps.metrics.registry.metrics();
      return c.body(text, 200, { 'content-type': deps.metrics.registry.contentType });
    });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  // Compared in constant time, so that the answer's timing does not reveal how much of a guess was right.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
