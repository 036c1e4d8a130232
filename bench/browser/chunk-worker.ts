/**
 * A Web Worker that encrypts or decrypts the chunks it is sent. Chunks are independent (each has its own key), so
 * several workers can share one stream and the page only puts their results back in order.
 */
import { decryptChunk, encryptChunk, StreamKeys, type StreamParams } from '../../shared/crypto/index.ts';

/** Plaintext comes as a Blob slice (as from a File, read in the worker), ciphertext as bytes. */
export type ChunkJob = {
  id: number;
  index: number;
  final: boolean;
  input: Blob | Uint8Array;
  mode: 'encrypt' | 'decrypt';
};
export type WorkerMessage = { init: { fileKey: Uint8Array; params: StreamParams } } | { job: ChunkJob };

let keys: Promise<StreamKeys> | undefined;

self.onmessage = async (event: MessageEvent<WorkerMessage>) => {
  const message = event.data;
  if ('init' in message) {
    keys = StreamKeys.derive(message.init.fileKey, message.init.params);
    return;
  }
  const { id, index, final, input, mode } = message.job;
  try {
    const streamKeys = await keys!;
    const bytes = input instanceof Blob ? new Uint8Array(await input.arrayBuffer()) : input;
    const out =
      mode === 'encrypt'
        ? await encryptChunk(streamKeys, index, final, bytes)
        : await decryptChunk(streamKeys, index, final, bytes);
    self.postMessage({ id, bytes: out }, { transfer: [out.buffer] });
  } catch (error) {
    self.postMessage({ id, error: (error as Error).message });
  }
};
