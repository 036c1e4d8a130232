/**
 * What the server and web app benchmarks share: the data's shape (BENCH_MIB, BENCH_BATCH, BENCH_IN_FLIGHT,
 * BENCH_ROUNDS), the plain Node HTTP baseline every ratio is taken against, and starting Coffer as `npm start` does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_CHUNK_SIZE, tokenLength } from '../shared/crypto/index.ts';

export const MiB = 1024 * 1024;
/** The server runs exactly as `npm start` runs it: its node flags and the compiled entry point. */
export const START_ARGUMENTS = (
  JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(' ')
  .slice(1);
export const TOTAL = Number(process.env.BENCH_MIB ?? 1024) * MiB;
export const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
/** Chunks per upload request (the API's `count`); the baseline receives the same request bodies. */
export const BATCH = Number(process.env.BENCH_BATCH ?? 8);
export const T = tokenLength(DEFAULT_CHUNK_SIZE);
export const CHUNKS = Math.ceil(TOTAL / T);
/** One chunk's worth of random bytes, reused: the server never reads them, and generating 1 GiB would dominate. */
export const CHUNK = randomBytes(T);
export const REQUESTS = Math.ceil(CHUNKS / BATCH);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const bodyOf = (request: number) => {
  const count = Math.min(BATCH, CHUNKS - request * BATCH);
  return Buffer.concat(Array.from({ length: count }, () => CHUNK));
};

export interface Transfer {
  uploadSeconds: number;
  downloadSeconds: number;
}

export async function timed(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** Sends every chunk, BATCH to a request and IN_FLIGHT requests at a time, to `urlOf(first chunk, count)`. */
export async function putChunks(urlOf: (first: number, count: number) => string, headers: Record<string, string>) {
  let next = 0;
  const lane = async () => {
    while (next < REQUESTS) {
      const request = next++;
      const body = bodyOf(request);
      const response = await fetch(urlOf(request * BATCH, body.length / T), { method: 'PUT', headers, body });
      if (response.status >= 300) throw new Error(`PUT ${request}: ${response.status} ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

export async function drain(response: Response): Promise<number> {
  if (response.status !== 200) throw new Error(`GET: ${response.status} ${await response.text()}`);
  let bytes = 0;
  for await (const piece of response.body!) bytes += piece.length;
  return bytes;
}

/**
 * The baseline: a plain Node HTTP server that writes each PUT body to a file, and streams one file back on GET. It
 * receives CHUNKS * T bytes (1 GiB of Coffer chunks) in BATCH-chunk requests, IN_FLIGHT at a time, from Node's fetch.
 */
export async function runBaseline(dir: string, options: { syncBeforeDownload?: boolean } = {}): Promise<Transfer> {
  const server: Server = createServer((request, response) => {
    const path = join(dir, request.url!.slice(1).replaceAll('/', '_'));
    if (request.method === 'PUT') {
      pipeline(request, createWriteStream(path)).then(
        () => response.writeHead(204).end(),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    } else {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      pipeline(createReadStream(join(dir, 'all')), response).catch(() => response.destroy());
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const uploadSeconds = await timed(() => putChunks((first) => `${base}/chunk/${first}`, {}));
    await pipeline(
      (async function* () {
        for (let i = 0; i < CHUNKS; i++) yield CHUNK;
      })(),
      createWriteStream(join(dir, 'all')),
    );
    // Coffer's download reads segments it made durable when the upload completed; the baseline's download should not
    // race the flush of the file it has just written either.
    if (options.syncBeforeDownload) execFileSync('sync');
    let received = 0;
    const downloadSeconds = await timed(async () => {
      received = await drain(await fetch(`${base}/all`));
    });
    if (received !== CHUNKS * T) throw new Error(`baseline served ${received} bytes`);
    return { uploadSeconds, downloadSeconds };
  } finally {
    server.close();
  }
}

/** Starts the compiled server with `npm start`'s node flags (after `nodeArguments`) and this environment added. */
export function spawnCoffer(env: Record<string, string>, nodeArguments: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArguments, ...START_ARGUMENTS], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

export function peakRssMiB(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

export const mbps = (seconds: number, bytes = CHUNKS * T) => (bytes / 1e6 / seconds).toFixed(0);
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
