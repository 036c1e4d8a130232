/**
 * One error type for everything the format rejects. `code` is stable and documented in docs/FORMAT.md; `message`
 * is for people. Failures of authentication deliberately share one code per object kind, so that whoever tampered
 * with the data cannot learn which check failed.
 */
export type CryptoErrorCode =
  | 'BAD_BASE64'
  | 'BAD_KEY'
  | 'BAD_ARGUMENT'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_FROM_FUTURE'
  | 'HEADER_MALFORMED'
  | 'UNSUPPORTED_VERSION'
  | 'HEADER_INVALID'
  | 'HEADER_MISMATCH'
  | 'CHUNK_INVALID'
  | 'TRUNCATED'
  | 'TRAILING_DATA'
  | 'WRAPPED_KEY_INVALID'
  | 'METADATA_INVALID'
  | 'THUMBNAIL_INVALID'
  | 'WEAK_PARAMETERS'
  | 'PARAMETERS_TOO_COSTLY'
  | 'BAD_RECOVERY_CODE'
  | 'PUBLIC_KEY_MISMATCH'
  | 'GRANT_MALFORMED'
  | 'GRANT_SIGNATURE_INVALID'
  | 'GRANT_MISMATCH'
  | 'AUTHOR_SIGNATURE_MALFORMED'
  | 'AUTHOR_SIGNATURE_INVALID'
  | 'FOLDER_MANIFEST_MALFORMED'
  | 'FOLDER_MANIFEST_INVALID'
  | 'EDITOR_ROSTER_MALFORMED'
  | 'EDITOR_ROSTER_INVALID'
  | 'KEY_SET_MALFORMED'
  | 'KEY_SET_INVALID'
  | 'LINK_MALFORMED'
  | 'LINK_PASSWORD_MISMATCH'
  | 'REQUEST_MESSAGE_INVALID'
  | 'EXPORT_LOCKED'
  | 'EXPORT_INVALID';

export class CofferCryptoError extends Error {
  override readonly name = 'CofferCryptoError';

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}
