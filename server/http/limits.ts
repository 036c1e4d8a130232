import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../../shared/api/schemas.ts';
import { MAX_THUMBNAIL_BYTES } from '../../shared/crypto/index.ts';
import { ApiError } from './errors.ts';

/** JSON bodies are small; anything larger is refused before it is read, with the limit named. */
export function jsonBodyLimit() {
  return bodyLimit({
    maxSize: LIMITS.jsonBodyBytes,
    onError: () => {
      throw new ApiError(413, 'BODY_TOO_LARGE', `JSON request bodies are limited to ${LIMITS.jsonBodyBytes} bytes`);
    },
  });
}

/** An encrypted thumbnail is one small Fernet token (docs/FORMAT.md section 5.1). */
export function thumbnailBodyLimit() {
  return bodyLimit({
    maxSize: MAX_THUMBNAIL_BYTES,
    onError: () => {
      throw new ApiError(413, 'BODY_TOO_LARGE', `an encrypted thumbnail is at most ${MAX_THUMBNAIL_BYTES} bytes`);
    },
  });
}
