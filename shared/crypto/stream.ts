/** One-shot encryption and decryption of whole byte arrays, built on the streaming API. */
import { concatBytes } from './bytes.ts';
import { createDecryptStream, type DecryptStreamOptions } from './stream-decrypt.ts';
import { createEncryptStream, type EncryptStreamOptions } from './stream-encrypt.ts';

export async function encryptBytes(
  plaintext: Uint8Array,
  options: EncryptStreamOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  return collect(streamOf(plaintext).pipeThrough(createEncryptStream(options)));
}

export async function decryptBytes(
  ciphertext: Uint8Array,
  options: DecryptStreamOptions,
): Promise<Uint8Array<ArrayBuffer>> {
  return collect(streamOf(ciphertext).pipeThrough(createDecryptStream(options)));
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(...parts);
    parts.push(value);
  }
}
