/**
 * Which failures of an S3 request mean the service did not answer (refused, unreachable, reset, timed out) or answered
 * with a server error: an outage a client should wait out, as opposed to an error of the request or of the code making
 * it, which stays a 500 with its cause in the log.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { UNREACHABLE_CODES } from '../ops/unreachable-codes.ts';

/**
 * TimeoutError is the name the SDK's HTTP handler gives a connection or request that timed out (with no code when the
 * connection never opened); RequestTimeout is S3's answer when the connection stalled while it waited for the body.
 */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout']);

export function isS3Outage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TIMEOUT_NAMES.has(error.name)) return true;
  if (error instanceof S3ServiceException) return error.$fault === 'server';
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}
