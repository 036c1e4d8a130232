/** One line per request, tagged with its request id, so that a user's error report can be found in the logs. */
import { createMiddleware } from 'hono/factory';

export type LogLine = (line: string) => void;

export function requestLog(log: LogLine) {
  return createMiddleware<{ Variables: { requestId: string } }>(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = (performance.now() - started).toFixed(1);
    log(`[${c.get('requestId')}] ${c.req.method} ${c.req.path} ${c.res.status} ${ms} ms`);
  });
}
