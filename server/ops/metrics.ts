/**
 * Prometheus metrics of one process (prom-client), in a registry of its own so that several apps in one process
 * (tests) do not share counters. Requests are labelled by route pattern, never by path, so that ids do not make a
 * series each.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  middleware: MiddlewareHandler;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'coffer_' });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'coffer_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'coffer_http_errors_total',
    help: 'HTTP requests answered with a server error (5xx), by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'coffer_http_request_duration_seconds',
    help: 'Time from a request reaching the app to its answer being ready (a streamed body may still be sending)',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const received = new Counter({
    name: 'coffer_http_received_bytes_total',
    help: 'Request body bytes, as declared by Content-Length',
    registers: [registry],
  });
  const sent = new Counter({
    name: 'coffer_http_sent_bytes_total',
    help: 'Response body bytes, as declared by Content-Length (file contents, chunks; JSON answers have none)',
    registers: [registry],
  });
  const uploadsInFlight = new Gauge({
    name: 'coffer_upload_requests_in_flight',
    help: 'Upload requests (chunks and batches of small files) being received and stored',
    registers: [registry],
  });

  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    const uploading =
      (c.req.method === 'PUT' && c.req.path.startsWith('/api/uploads/')) ||
      (c.req.method === 'POST' && c.req.path === '/api/uploads/batch');
    if (uploading) uploadsInFlight.inc();
    try {
      await next();
    } finally {
      if (uploading) uploadsInFlight.dec();
    }
    const route = routePath(c);
    const status = String(c.res.status);
    requests.inc({ method: c.req.method, route, status });
    if (c.res.status >= 500) errors.inc({ method: c.req.method, route, status });
    duration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    received.inc(declaredLength(c.req.header('content-length')));
    sent.inc(declaredLength(c.res.headers.get('content-length') ?? undefined));
  };
  return { registry, middleware };
}

function declaredLength(header: string | undefined): number {
  const length = Number(header);
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}
