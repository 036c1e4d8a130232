import { bodyLimit } from 'hono/body-limit';
import { LIMITS, REKEY_LIMITS, UPLOAD_BATCH } from '../../shared/api/schemas.ts';
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

/** A batch of small files carries their chunks, so it may be larger than other JSON bodies, up to its own limit. */
export function uploadBatchBodyLimit() {
  return bodyLimit({
    maxSize: UPLOAD_BATCH.maxBodyBytes,
    onError: () => {
      throw new ApiError(
        413,
        'BODY_TOO_LARGE',
        `a batch of small files is limited to ${UPLOAD_BATCH.maxBodyBytes} bytes of request body`,
      );
    },
  });
}

/** A key rotation carries a wrap for every node of a subtree, so it may be larger than other JSON bodies. */
export function rekeyBodyLimit() {
  return bodyLimit({
    maxSize: REKEY_LIMITS.maxBodyBytes,
    onError: () => {
      throw new ApiError(
        413,
        'BODY_TOO_LARGE',
        `a key rotation is limited to ${REKEY_LIMITS.maxBodyBytes} bytes of request body (at most ${REKEY_LIMITS.maxNodes} nodes)`,
      );
    },
  });
}
