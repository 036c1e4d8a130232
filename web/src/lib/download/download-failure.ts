/**
 * Why a file's content could not be had, in words that name the file: a download's browser list says only "failed",
 * and a zip holds many files. A chunk that fails authentication means the server sent something other than what was
 * stored (altered, truncated, swapped or lost), which trying again will not mend; a broken connection may.
 */
import { CofferCryptoError } from '$shared/crypto/index.ts';
import { watchedStream } from './watched-stream.ts';

export function describeFailure(path: string, error: unknown): Error {
  if (error instanceof CofferCryptoError) {
    return new Error(
      `"${path}" failed the integrity check: the server altered or lost its content, so it was refused (${error.message}).`,
    );
  }
  if (error instanceof TypeError) {
    return new Error(`"${path}" could not be downloaded: the connection failed (${error.message}). Try again.`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The same bytes, with any failure of the stream described for the file at `path`. */
export function namingFailures(path: string, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return watchedStream(stream, { failed: (error) => describeFailure(path, error) });
}
