/**
 * The socket and name-lookup error codes Node reports when the other end cannot be reached or stops answering: the
 * database's and the S3 store's outages alike (the same codes the AWS SDK's retry strategy counts as network errors).
 */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
]);
