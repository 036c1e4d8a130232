/** Recognises a unique-constraint violation from either driver (postgres.js or PGlite), however drizzle wraps it. */
export function isUniqueViolation(error: unknown): boolean {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    if ((cause as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/**
 * Recognises a database that cannot be reached or is going away (shut down, restarting, the connection cut), from
 * either driver however drizzle wraps it: a condition that passes, as opposed to an error of the query.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (CONNECTION_FAILURES.has(code)) return true;
    // SQLSTATE class 08 (connection exception) and 57P01 to 57P03 (the server shutting down or starting up).
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  return false;
}

/** postgres.js's own codes for a lost connection, and the socket errors it passes on as they are. */
const CONNECTION_FAILURES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
