import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../../shared/api/schemas.ts';
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
