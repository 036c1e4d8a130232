import { UNREACHABLE_CODES } from '../ops/unreachable-codes.ts';

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
    if (DRIVER_CONNECTION_FAILURES.has(code)) return true;
    if (UNREACHABLE_CODES.has(code) && isSocketError(cause)) return true;
    // SQLSTATE class 08 (connection exception) and 57P01 to 57P03 (the server shutting down or starting up).
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  return false;
}

/** postgres.js's own codes for a connection that could not be made or was lost. */
const DRIVER_CONNECTION_FAILURES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * Whether the error is a socket's own (it names the system call that failed, or gathers such errors when several
 * addresses were tried): the database's connection failing, not the same code on something else, such as the
 * ECONNRESET "aborted" of a request body whose client went away.
 */
function isSocketError(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isSocketError);
  return typeof (error as { syscall?: unknown }).syscall === 'string';
}
