/**
 * An upload worker: reads the segments of a file it is given, encrypts each chunk (docs/FORMAT.md section 3.2) and PUTs
 * each segment as one request, so that encryption never runs on the page's thread. The plaintext never leaves this
 * worker except as ciphertext. Three requests are kept in flight, so encrypting one segment overlaps sending the
 * others, and the server always has a request to work on.
 */
import { encryptChunkInto, StreamKeys, tokenLength } from '$shared/crypto/index.ts';
import { chunkRange, segmentPlaintextBytes, segmentRange, type Segment } from './segment-plan.ts';
import { SequentialFileReader } from './sequential-file-reader.ts';
import type { FromWorker, StartMessage, ToWorker } from './worker-protocol.ts';

const IN_FLIGHT = 3;
/** Network failures and 5xx/429 answers are retried, waiting longer each time, up to this many times in a row. */
const MAX_RETRIES = 8;

let stopping = false;

const post = (message: FromWorker) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'stop') {
    stopping = true;
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
  const pending = new Set<Promise<void>>();
  const file = new SequentialFileReader(job.file);
  try {
    for (const segment of job.segments) {
      if (stopping) break;
      const body = await encryptSegment(job, keys, file, segment);
      const sent = send(job.uploadId, segment, body)
        .then(() =>
          post({ type: 'stored', segment, bytes: segmentPlaintextBytes(segment, job.file.size, job.chunkSize) }),
        )
        .finally(() => {
          pending.delete(sent);
          bodies.release(body);
        });
      pending.add(sent);
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
    }
  } finally {
    await file.close();
  }
  await Promise.all(pending);
}

/**
 * The request bodies, reused from segment to segment, one per request in flight: a new 4 MiB array per request would
 * be garbage a moment later, and a worker's JavaScript engine lets tens of megabytes of such garbage pile up before it
 * collects them.
 */
class BodyPool {
  readonly #free: ArrayBuffer[] = [];

  take(length: number): Uint8Array<ArrayBuffer> {
    const reusable = this.#free.findIndex((buffer) => buffer.byteLength >= length);
    const buffer = reusable >= 0 ? this.#free.splice(reusable, 1)[0]! : new ArrayBuffer(length);
    return new Uint8Array(buffer, 0, length);
  }

  release(body: Uint8Array<ArrayBuffer>): void {
    if (this.#free.length < IN_FLIGHT) this.#free.push(body.buffer);
  }
}

const bodies = new BodyPool();

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
  const body = bodies.take(length);
  await Promise.all(
    chunks.map(({ index, plaintext }, k) =>
      encryptChunkInto(keys, index, index === job.chunkCount - 1, plaintext, body, offsets[k]!),
    ),
  );
  return body;
}

class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function send(uploadId: string, segment: Segment, body: Uint8Array<ArrayBuffer>): Promise<void> {
  const url = `/api/uploads/${uploadId}/chunks/${segment.first}?count=${segment.count}`;
  for (let attempt = 0; ; attempt++) {
    let retryAfterMs: number | undefined;
    let problem: string;
    try {
      const response = await fetch(url, {
        method: 'PUT',
        body,
        credentials: 'same-origin',
      });
      if (response.ok) return;
      const error = await readError(response);
      if (response.status !== 429 && response.status < 500) throw error;
      retryAfterMs = Number(response.headers.get('retry-after')) * 1000 || undefined;
      problem = error.message;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      problem = 'the connection to the server was lost';
    }
    if (attempt >= MAX_RETRIES) throw new HttpError('NETWORK', `Upload stopped: ${problem}.`, 0);
    const delayMs = retryAfterMs ?? Math.min(30_000, 500 * 2 ** attempt);
    post({ type: 'retrying', message: problem, delayMs });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

async function readError(response: Response): Promise<HttpError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new HttpError(
    body?.error?.code ?? 'HTTP_ERROR',
    body?.error?.message ?? `the server answered ${response.status}`,
    response.status,
  );
}

function failure(error: unknown): FromWorker {
  if (error instanceof HttpError)
    return { type: 'failed', code: error.code, message: error.message, status: error.status };
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'failed', code: 'WORKER_ERROR', message: `Encrypting the file failed: ${message}`, status: 0 };
}
