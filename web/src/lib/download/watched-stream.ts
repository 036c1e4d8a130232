/**
 * The same bytes, passed on one chunk at a time, with a say in how the stream ends: `failed` hears the error that
 * ended it and returns the error to end it with instead; `finished` and `canceled` hear the other two endings; `passed`
 * hears the length of each chunk passed on, for progress.
 */
export interface StreamEndings {
  failed?: (error: unknown) => unknown;
  finished?: () => void;
  canceled?: () => void;
  passed?: (bytes: number) => void;
}

export function watchedStream(stream: ReadableStream<Uint8Array>, endings: StreamEndings): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw endings.failed ? endings.failed(error) : error;
      }
      if (next.done) {
        controller.close();
        endings.finished?.();
      } else {
        controller.enqueue(next.value);
        endings.passed?.(next.value.length);
      }
    },
    async cancel(reason) {
      endings.canceled?.();
      await reader.cancel(reason);
    },
  });
}
