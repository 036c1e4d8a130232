/**
 * Measures how much a stream holds in memory while it is read slowly. Samples are taken right after a forced garbage
 * collection, so they count the buffers still referenced (queued in the stream or anywhere else), not garbage that
 * V8 has yet to collect: that is what makes the check stable.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MiB } from './streams.ts';

// Reaches V8's gc() from inside the running worker, whose command line vitest writes (so no --expose-gc there).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * V8 frees the memory of dead ArrayBuffers on a background thread, so a reading right after gc() can still include
 * some (up to the 8 MiB read since the last sample, in practice). Every reading is live memory plus such leftovers:
 * the smallest of a few is the closest to live memory.
 */
async function liveBuffers(): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    gc();
    await sleep(5);
    least = Math.min(least, process.memoryUsage().arrayBuffers);
  }
  return least;
}

export interface SlowRead {
  digest: string;
  bytes: number;
  /** Largest growth of live ArrayBuffer memory over the level before the stream was opened. */
  peakGrowth: number;
}

/**
 * Opens a stream with `open` and reads it like a slow client: a 10 ms pause after each MiB, and every 8 MiB a 50 ms
 * pause (time for a source without backpressure to run far ahead) followed by a sample.
 */
export async function readSlowly(open: () => Promise<ReadableStream<Uint8Array>>): Promise<SlowRead> {
  const baseline = await liveBuffers();
  const reader = (await open()).getReader();
  const hash = createHash('sha256');
  let bytes = 0;
  let peakGrowth = 0;
  let nextPause = MiB;
  let nextSample = 8 * MiB;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    bytes += value.byteLength;
    if (bytes >= nextPause) {
      nextPause += MiB;
      await sleep(10);
    }
    if (bytes >= nextSample) {
      nextSample += 8 * MiB;
      await sleep(50);
      peakGrowth = Math.max(peakGrowth, (await liveBuffers()) - baseline);
    }
  }
  return { digest: hash.digest('hex'), bytes, peakGrowth };
}
