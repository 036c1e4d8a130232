/**
 * An upload worker: reads the segments of a file it is given and encrypts each chunk (docs/FORMAT.md section 3.2), so
 * that encryption never runs on the page's thread. The plaintext never leaves this worker except as ciphertext. Each
 * segment's body goes to the page as a Blob, which the page sends as one request (segment-sender.ts says why the
 * worker does not) without touching its bytes: a bytes body would be copied on the page's thread, and with developer
 * tools open, encoded into their events there too, which kept the page from answering a click for seconds. Three
 * segments are kept in flight, so encrypting one overlaps sending the others, and the server always has a request to
 * work on.
 */
import { encryptChunkInto, StreamKeys, tokenLength } from '$shared/crypto/index.ts';
import { chunkRange, segmentPlaintextBytes, segmentRange, type Segment } from './segment-plan.ts';
import { SequentialFileReader } from './sequential-file-reader.ts';
import type { FromWorker, StartMessage, ToWorker } from './worker-protocol.ts';

const IN_FLIGHT = 3;

let stopping = false;
/** Segments given to the page and not yet sent back. */
let inFlight = 0;
let segmentSent: (() => void) | null = null;

const post = (message: FromWorker) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'stop') {
    stopping = true;
    return;
  }
  if (message.type === 'sent') {
    inFlight--;
    segmentSent?.();
    return;
  }
  // The page reuses a worker for one file after another: a stop meant for the last job must not cut this one short.
  stopping = false;
  run(message).then(
    () => post(stopping ? { type: 'stopped' } : { type: 'done' }),
    (error: unknown) => post(failure(error)),
  );
};

async function run(job: StartMessage): Promise<void> {
  const keys = await StreamKeys.derive(job.fileKey, {
    chunkSize: job.chunkSize,
    fileId: job.fileId,
    revision: job.revision,
    nonce: job.nonce,
  });
  const file = new SequentialFileReader(job.file);
  try {
    for (const segment of job.segments) {
      if (stopping) break;
      const encrypted = await encryptSegment(job, keys, file, segment);
      // The Blob holds a copy of the bytes, so the next segment may be encrypted into the same buffer.
      const body = new Blob([encrypted]);
      inFlight++;
      post({ type: 'segment', segment, bytes: segmentPlaintextBytes(segment, job.file.size, job.chunkSize), body });
      while (inFlight >= IN_FLIGHT) await oneSent();
    }
  } finally {
    await file.close();
  }
  while (inFlight > 0) await oneSent();
}

function oneSent(): Promise<void> {
  return new Promise((resolve) => {
    segmentSent = () => {
      segmentSent = null;
      resolve();
    };
  });
}

/**
 * The buffer each segment is encrypted into, reused from segment to segment (its Blob takes a copy): a new 4 MiB array
 * per segment would be garbage a moment later, and a worker's JavaScript engine lets tens of megabytes of such garbage
 * pile up before it collects them.
 */
let scratch = new ArrayBuffer(0);

function scratchBody(length: number): Uint8Array<ArrayBuffer> {
  if (scratch.byteLength < length) scratch = new ArrayBuffer(length);
  return new Uint8Array(scratch, 0, length);
}

/** The segment's chunks as one request body, each token written straight into it rather than copied there. */
async function encryptSegment(
  job: StartMessage,
  keys: StreamKeys,
  file: SequentialFileReader,
  segment: Segment,
): Promise<Uint8Array<ArrayBuffer>> {
  const { start, end } = segmentRange(segment, job.file.size, job.chunkSize);
  const plaintext = await file.read(start, end);
  const chunks = Array.from({ length: segment.count }, (_, offset) => {
    const index = segment.first + offset;
    const range = chunkRange(index, job.file.size, job.chunkSize);
    return { index, plaintext: plaintext.subarray(range.start - start, range.end - start) };
  });
  const offsets: number[] = [];
  let length = 0;
  for (const chunk of chunks) {
    offsets.push(length);
    length += tokenLength(chunk.plaintext.length);
  }
  const body = scratchBody(length);
  await Promise.all(
    chunks.map(({ index, plaintext }, k) =>
      encryptChunkInto(keys, index, index === job.chunkCount - 1, plaintext, body, offsets[k]!),
    ),
  );
  return body;
}

function failure(error: unknown): FromWorker {
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'failed', code: 'WORKER_ERROR', message: `Encrypting the file failed: ${message}`, status: 0 };
}
