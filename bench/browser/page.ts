/** The browser half of `npm run bench`: stream encryption on the main thread and in Web Workers. */
import type { StreamKeys } from '../../shared/crypto/index.ts';
import {
  decryptBytes,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  openHeader,
  type StreamParams,
} from '../../shared/crypto/index.ts';
import type { ChunkJob } from './chunk-worker.ts';

type Reply = { id: number; bytes?: Uint8Array; error?: string };

/** Sends chunks round-robin to `count` workers, keeping `perWorker` in flight each, and returns results in order. */
class ChunkWorkerPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private nextId = 0;

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => new Worker('/chunk-worker.js', { type: 'module' }));
    for (const worker of this.workers) {
      worker.onmessage = (event: MessageEvent<Reply>) => {
        this.waiting.get(event.data.id)!(event.data);
        this.waiting.delete(event.data.id);
      };
    }
  }

  init(fileKey: Uint8Array, params: StreamParams) {
    for (const worker of this.workers) worker.postMessage({ init: { fileKey, params } });
  }

  async run(jobs: Omit<ChunkJob, 'id'>[], perWorker = 4): Promise<Uint8Array[]> {
    const results: Uint8Array[] = new Array(jobs.length);
    const limit = this.workers.length * perWorker;
    let next = 0;
    const submit = async (): Promise<void> => {
      while (next < jobs.length) {
        const index = next++;
        const id = this.nextId++;
        const reply = await new Promise<Reply>((resolve) => {
          this.waiting.set(id, resolve);
          const job = jobs[index]!;
          // Transferred, not copied: on two cores every copy the page makes is time taken from the workers.
          const transfer = job.input instanceof Uint8Array ? [job.input.buffer] : [];
          this.workers[index % this.workers.length]!.postMessage({ job: { ...job, id } }, { transfer });
        });
        if (reply.error) throw new Error(reply.error);
        results[index] = reply.bytes!;
      }
    };
    await Promise.all(Array.from({ length: limit }, submit));
    return results;
  }

  terminate() {
    for (const worker of this.workers) worker.terminate();
  }
}

function randomBlob(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(size, i + 65536)));
  return data;
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

export interface BrowserResult {
  chunkSize: number;
  mainEncrypt1: number;
  mainDecrypt1: number;
  mainEncrypt: number;
  mainDecrypt: number;
  workersEncrypt: number;
  /** The workers read their chunk from a Blob (as an upload reads a File) instead of being sent its bytes. */
  workersEncryptBlob: number;
  workersDecrypt: number;
}

/** Returns the best of `rounds` timings in seconds for each path. */
async function run(
  totalBytes: number,
  chunkSizes: number[],
  workerCount: number,
  rounds: number,
): Promise<BrowserResult[]> {
  const plaintext = randomBlob(totalBytes);
  const blob = new Blob([plaintext]);
  const fileKey = generateKey();
  const fileId = crypto.getRandomValues(new Uint8Array(16));
  const pool = new ChunkWorkerPool(workerCount);
  const out: BrowserResult[] = [];
  for (const chunkSize of chunkSizes) {
    const best = {
      mainEncrypt1: Infinity,
      mainDecrypt1: Infinity,
      mainEncrypt: Infinity,
      mainDecrypt: Infinity,
      workersEncrypt: Infinity,
      workersEncryptBlob: Infinity,
      workersDecrypt: Infinity,
    };
    for (let round = 0; round < rounds; round++) {
      const options = { fileKey, fileId, revision: 1, chunkSize };
      let ciphertext = new Uint8Array();
      best.mainEncrypt1 = Math.min(
        best.mainEncrypt1,
        await seconds(async () => (ciphertext = await encryptBytes(plaintext, { ...options, concurrency: 1 }))),
      );
      best.mainDecrypt1 = Math.min(
        best.mainDecrypt1,
        await seconds(() => decryptBytes(ciphertext, { fileKey, concurrency: 1 })),
      );
      best.mainEncrypt = Math.min(
        best.mainEncrypt,
        await seconds(async () => (ciphertext = await encryptBytes(plaintext, options))),
      );
      best.mainDecrypt = Math.min(best.mainDecrypt, await seconds(() => decryptBytes(ciphertext, { fileKey })));

      // Workers: the page seals the header, the workers do the chunks, the page keeps them in order.
      const keys: StreamKeys = await openHeader(fileKey, ciphertext.subarray(0, HEADER_BYTES));
      pool.init(fileKey, keys.params);
      const chunkCount = Math.max(1, Math.ceil(totalBytes / chunkSize));
      const encryptJobs = Array.from({ length: chunkCount }, (_, index) => ({
        index,
        final: index === chunkCount - 1,
        input: plaintext.slice(index * chunkSize, (index + 1) * chunkSize),
        mode: 'encrypt' as const,
      }));
      const readFromBlobJobs = encryptJobs.map((job) => ({
        ...job,
        input: blob.slice(job.index * chunkSize, (job.index + 1) * chunkSize),
      }));
      let tokens: Uint8Array[] = [];
      best.workersEncrypt = Math.min(
        best.workersEncrypt,
        await seconds(async () => (tokens = await pool.run(encryptJobs))),
      );
      best.workersEncryptBlob = Math.min(best.workersEncryptBlob, await seconds(() => pool.run(readFromBlobJobs)));
      const decryptJobs = tokens.map((token, index) => ({
        index,
        final: index === chunkCount - 1,
        input: token.slice(),
        mode: 'decrypt' as const,
      }));
      let plain: Uint8Array[] = [];
      best.workersDecrypt = Math.min(
        best.workersDecrypt,
        await seconds(async () => (plain = await pool.run(decryptJobs))),
      );
      let offset = 0;
      for (const part of plain) {
        if (part.some((byte, i) => byte !== plaintext[offset + i])) throw new Error('worker round trip changed bytes');
        offset += part.length;
      }
      if (offset !== totalBytes) throw new Error('worker round trip lost bytes');
    }
    out.push({ chunkSize, ...best });
  }
  pool.terminate();
  return out;
}

(globalThis as unknown as { runBenchmark: typeof run }).runBenchmark = run;
