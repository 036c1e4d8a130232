/**
 * Moves a Node input through a web TransformStream into a Node output with backpressure at both ends, so memory stays
 * bounded by a few chunks whatever the size of the input. (Node 20's Readable.toWeb reads stdin as fast as it can,
 * ignoring backpressure: encrypting 4 GiB from a fast source grew to 2.9 GB of memory.) `onRead` hears each piece of
 * input as it is taken, for progress.
 */
import { once } from 'node:events';

export async function pump(
  input: NodeJS.ReadableStream,
  transform: TransformStream<Uint8Array, Uint8Array>,
  output: NodeJS.WritableStream,
  onRead: (bytes: number) => void = () => undefined,
): Promise<void> {
  const writer = transform.writable.getWriter();
  const draining = (async () => {
    for await (const piece of transform.readable) {
      if (!output.write(piece)) await once(output, 'drain');
    }
  })();
  // If the transform fails, `draining` rejects with its error; the writes below then reject too, and the error that
  // matters is the transform's, awaited last.
  draining.catch(() => undefined);
  try {
    for await (const piece of input) {
      onRead((piece as Uint8Array).length);
      await writer.write(piece as Uint8Array);
    }
    await writer.close();
  } catch {
    // Fall through: `draining` carries the transform's error.
  }
  await draining;
}
