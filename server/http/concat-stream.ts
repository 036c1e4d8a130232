/** Streams several sources one after the other, opening each only when the reader gets to it. */
export type StreamSource = () => Promise<ReadableStream<Uint8Array> | Uint8Array>;

export function concatStreams(sources: StreamSource[]): ReadableStream<Uint8Array> {
  let next = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (!reader) {
          const source = sources[next++];
          if (!source) return controller.close();
          const opened = await source();
          if (opened instanceof Uint8Array) {
            controller.enqueue(opened);
            return;
          }
          reader = opened.getReader();
        }
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        reader = undefined;
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
}
