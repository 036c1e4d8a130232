import type { Readable } from 'node:stream';

/**
 * A web stream over a Node stream that takes one chunk from it per pull(), so the Node stream only reads ahead by its
 * own small highWaterMark and a slow consumer holds the network back instead of filling memory. (Readable.toWeb, which
 * the AWS SDK's transformToWebStream uses, reads ahead without limit in Node 20.)
 */
export function webStreamFromNode(source: Readable): ReadableStream<Uint8Array> {
  const chunks: AsyncIterator<Uint8Array> = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel() {
      // Immediate even while a pull() waits for data, which then fails unobserved.
      source.destroy();
    },
  });
}
