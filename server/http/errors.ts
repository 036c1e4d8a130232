/**
 * The API's error contract: every failure is JSON `{ "error": { "code", "message" } }` with a 4xx status that says
 * whose fault it is; a database that cannot be reached is 503 and a full disk 507 (outage-errors.ts). Unexpected
 * failures are 500 with a request id and no detail, and are logged with that id.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CofferCryptoError } from '../../shared/crypto/errors.ts';
import { outageError } from './outage-errors.ts';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    /** Headers the error response carries, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiError) return c.json(errorBody(error.code, error.message), error.status, error.headers);
  // A client that went away mid-request (a page reloaded during an upload) is not a failure of the server's, nor an
  // outage: what broke off may be the client's own connection, whatever error that surfaced as.
  if (c.req.raw.signal.aborted) {
    return c.json(errorBody('REQUEST_ABORTED', 'the client closed the connection before its request was read'), 400);
  }
  const outage = outageError(error);
  if (outage) return c.json(errorBody(outage.code, outage.message), outage.status, outage.headers);
  // The server decodes only what clients send, so a decoding failure is the client's.
  if (error instanceof CofferCryptoError && error.code === 'BAD_BASE64') {
    return c.json(errorBody('BAD_ENCODING', error.message), 400);
  }
  if (error instanceof HTTPException) {
    return c.json(errorBody('HTTP_ERROR', error.message || 'request refused'), error.status as ContentfulStatusCode);
  }
  // The request log writes the error out with this id (request-log.ts).
  const requestId = c.get('requestId') as string | undefined;
  return c.json(errorBody('INTERNAL', `internal error (request ${requestId ?? 'unknown'})`), 500);
}
