/**
 * Failures of what the server stands on rather than of the request: the database or the blob store unreachable, or no
 * space left where blobs are written. Each becomes an answer a client can act on (retry later; tell the user the server is full)
 * instead of a 500. Nothing a request has committed is lost this way: the database commits whole transactions only,
 * and a blob is renamed into place only once complete. The request log still records the cause, as for any 5xx.
 */
import { BlobStoreUnavailableError } from '../blobs/blob-store.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { ApiError } from './errors.ts';

/** Seconds a client should wait before it retries a request refused for an outage. */
const RETRY_AFTER_SECONDS = 5;

export function outageError(error: unknown): ApiError | undefined {
  if (isStorageFull(error)) {
    return new ApiError(
      507,
      'STORAGE_FULL',
      "the server's storage is full: no space was left for what this request sent, and none of it was kept; " +
        'retry once the operator has freed space',
    );
  }
  // Before the database: the blob store's cause may be a socket error like the database's.
  if (error instanceof BlobStoreUnavailableError) {
    return new ApiError(
      503,
      'BLOB_STORE_UNAVAILABLE',
      `the server's file storage did not answer, so this request was not carried out; retry in ${RETRY_AFTER_SECONDS} s`,
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }
  if (isDatabaseUnavailable(error)) {
    return new ApiError(
      503,
      'DATABASE_UNAVAILABLE',
      `the server's database did not answer, so this request was not carried out; retry in ${RETRY_AFTER_SECONDS} s`,
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }
  return undefined;
}

/** ENOSPC or EDQUOT from the filesystem, or Postgres' disk_full, however the error is wrapped. */
function isStorageFull(error: unknown): boolean {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === '53100') return true;
  }
  return false;
}
