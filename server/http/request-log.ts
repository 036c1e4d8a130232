/**
 * One JSON object a line per request (pino), tagged with its request id, so that a user's error report can be found in
 * the logs. It names the path without its query, and no header or body: cookies, tokens and query strings could carry
 * secrets.
 */
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import { pino, stdTimeFunctions, type Logger } from 'pino';

/** Where log lines go: each call is one whole line, ending in a newline. */
export type LogLine = (line: string) => void;

export function createLogger(write: LogLine): Logger {
  return pino({ base: null, timestamp: stdTimeFunctions.isoTime }, { write });
}

export function requestLog(logger: Logger) {
  return createMiddleware<{ Variables: { requestId: string } }>(async (c, next) => {
    const started = performance.now();
    await next();
    const line = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      route: routePath(c),
      status: c.res.status,
      ms: Number((performance.now() - started).toFixed(1)),
    };
    // An unexpected failure is answered 500 with the request id and no detail; the detail is here.
    if (c.res.status >= 500 && c.error) logger.error({ ...line, err: c.error }, 'request failed');
    else logger.info(line, 'request');
  });
}
