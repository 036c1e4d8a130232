/**
 * The service worker's side of video and audio previews: it keeps each preview the page opens, until the page ends it,
 * and answers the media element's range requests by fetching and decrypting only the chunks each range needs. A long
 * video plays and seeks without ever being decrypted whole, and nothing is ever put in a cache.
 */
import {
  collect,
  decryptChunk,
  HEADER_BYTES,
  openHeader,
  tokenLength,
  uuidToBytes,
  type StreamKeys,
} from '$shared/crypto/index.ts';
import { ByteQueue } from '$shared/crypto/byte-queue.ts';
import { decryptEntry, fetchCiphertext, type DownloadEntry } from '$lib/download/download-job.ts';
import { workerHeaders, workerTextResponse } from '$lib/pwa/worker-response.ts';
import { chunkSpan, parseByteRange, type ByteRange, type ChunkSpan } from './media-range.ts';
import { mediaContentType } from './media-type.ts';

export const MEDIA_PATH = '/_media/';

export type MediaMessage =
  { type: 'coffer-media'; id: string; entry: DownloadEntry } | { type: 'coffer-media-end'; id: string };

interface Preview {
  entry: DownloadEntry;
  /** The stream's keys, from its authenticated header: fetched at the first range request. */
  keys: Promise<StreamKeys> | undefined;
}

const previews = new Map<string, Preview>();

export function isMediaMessage(data: unknown): data is MediaMessage {
  const type = (data as { type?: unknown } | null)?.type;
  return type === 'coffer-media' || type === 'coffer-media-end';
}

/** Starts or ends a preview; a start is answered on `reply`, so the page knows it may set the element's source. */
export function acceptMedia(message: MediaMessage, reply: MessagePort | undefined): void {
  if (message.type === 'coffer-media-end') {
    previews.delete(message.id);
    return;
  }
  previews.set(message.id, { entry: message.entry, keys: undefined });
  reply?.postMessage({ accepted: message.id });
}

export function isMediaRequest(url: URL): boolean {
  return url.pathname.startsWith(MEDIA_PATH);
}

export async function mediaResponse(request: Request, url: URL): Promise<Response> {
  const preview = previews.get(url.pathname.slice(MEDIA_PATH.length));
  if (!preview) return workerTextResponse(404, 'This preview has ended. Open it again from Coffer.');
  const { entry } = preview;
  const headers = workerHeaders({ 'content-type': mediaContentType(entry.type), 'accept-ranges': 'bytes' });
  const range = parseByteRange(request.headers.get('range'), entry.size);
  if (range === 'unsatisfiable') {
    headers.set('content-range', `bytes */${entry.size}`);
    return new Response(null, { status: 416, headers });
  }
  try {
    if (!range) {
      headers.set('content-length', String(entry.size));
      return new Response(await decryptEntry(entry), { headers });
    }
    preview.keys ??= streamKeys(entry);
    const body = await decryptRange(entry, await preview.keys, range);
    headers.set('content-range', `bytes ${range.start}-${range.end - 1}/${entry.size}`);
    headers.set('content-length', String(range.end - range.start));
    return new Response(body, { status: 206, headers });
  } catch (error) {
    // The next request tries the header again.
    preview.keys = undefined;
    return workerTextResponse(502, error instanceof Error ? error.message : String(error));
  }
}

/** The keys of the revision's stream, from its header, authenticated for this file and revision. */
async function streamKeys(entry: DownloadEntry): Promise<StreamKeys> {
  const header = await fetchCiphertext(entry, { start: 0, end: HEADER_BYTES });
  return openHeader(entry.fileKey, await collect(header), {
    fileId: uuidToBytes(entry.nodeId),
    revision: entry.revision,
  });
}

async function decryptRange(entry: DownloadEntry, keys: StreamKeys, range: ByteRange) {
  const span = chunkSpan(entry.size, keys.params.chunkSize, range);
  const ciphertext = await fetchCiphertext(entry, { start: span.cipherStart, end: span.cipherEnd });
  return decryptSpan(ciphertext, keys, span, range.end - range.start);
}

/**
 * The span's tokens, each authenticated under its own chunk key (index and final flag bound in) before any of it is
 * released, cut to the `length` bytes asked for. Pull by pull, so the media element's pace is the network's.
 */
function decryptSpan(
  ciphertext: ReadableStream<Uint8Array>,
  keys: StreamKeys,
  span: ChunkSpan,
  length: number,
): ReadableStream<Uint8Array> {
  const reader = ciphertext.getReader();
  const fullToken = tokenLength(keys.params.chunkSize);
  const queue = new ByteQueue();
  let index = span.firstChunk;
  let left = length;

  async function nextToken(tokenBytes: number): Promise<Uint8Array> {
    while (queue.length < tokenBytes) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the server's stream ended inside chunk ${index}`);
      queue.push(value);
    }
    return queue.take(tokenBytes);
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const final = index === span.chunkCount - 1;
        const token = await nextToken(final ? span.finalTokenBytes : fullToken);
        const plaintext = await decryptChunk(keys, index, final, token);
        const from = index === span.firstChunk ? span.skip : 0;
        const piece = plaintext.subarray(from, from + left);
        left -= piece.byteLength;
        index++;
        controller.enqueue(piece);
        if (left === 0) {
          controller.close();
          await reader.cancel().catch(() => undefined);
        }
      } catch (error) {
        await reader.cancel(error).catch(() => undefined);
        throw error;
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
