/**
 * Streams several sources one after the other. Each source is opened as the reader reaches the one before it, so
 * while one is read the next is already opening: a source that starts reading at open (the fs store's direct reads)
 * then has its first read under way when the reader gets to it. At most two sources are open at once, and both are
 * closed on cancel and on error.
 */
export type StreamSource = () => Promise<ReadableStream<Uint8Array> | Uint8Array>;

/** A source, or a stream opened already (then cancelled with the rest if the reader never gets to it). */
export type ConcatPart = StreamSource | ReadableStream<Uint8Array>;

export function concatStreams(sources: ConcatPart[]): ReadableStream<Uint8Array> {
  let next = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let upcoming: Promise<ReadableStream<Uint8Array> | Uint8Array> | undefined;

  const openNext = () => {
    const source = sources[next++];
    upcoming = source instanceof ReadableStream ? Promise.resolve(source) : source?.();
    // Awaited when the reader gets there, or by closeAll; marked handled so an early failure is no crash.
    upcoming?.catch(() => undefined);
  };
  const closeAll = async (reason: unknown) => {
    const pending = upcoming;
    upcoming = undefined;
    await reader?.cancel(reason).catch(() => undefined);
    const opened = await pending?.catch(() => undefined);
    if (opened instanceof ReadableStream) await opened.cancel(reason).catch(() => undefined);
    for (const unread of sources.splice(next)) {
      if (unread instanceof ReadableStream) await unread.cancel(reason).catch(() => undefined);
    }
  };

  return new ReadableStream<Uint8Array>({
    start: openNext,
    async pull(controller) {
      try {
        for (;;) {
          if (!reader) {
            if (!upcoming) return controller.close();
            const opened = await upcoming;
            openNext();
            if (opened instanceof Uint8Array) return controller.enqueue(opened);
            reader = opened.getReader();
          }
          const { done, value } = await reader.read();
          if (!done) return controller.enqueue(value);
          reader = undefined;
        }
      } catch (error) {
        await closeAll(error);
        throw error;
      }
    },
    cancel: closeAll,
  });
}
