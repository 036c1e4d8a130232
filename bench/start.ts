/**
 * The start a new user sees, measured on the compiled server as `npm start` runs it (PGlite and fs blobs in an empty
 * DATA_DIR): the time from spawning the server to a served page, the peak RSS of that first start (which creates the
 * database), and the RSS of the same server restarted on that data directory and left idle. Coffer starts no other
 * process with the embedded defaults, so its own RSS is the total. Run by `npm run bench:server` before the transfers,
 * or alone with `tsx bench/start.ts` after `npm run build`.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForListening } from '../tools/harness/server-process.ts';
import { spawnCoffer } from './bench-kit.ts';

/** Long enough for the start's garbage to be collected and the heap to settle. */
const IDLE_MS = 10_000;

export interface StartFigures {
  secondsToPage: number;
  firstStartPeakMiB: number;
  restartedIdleMiB: number;
}

function statusMiB(child: ChildProcess, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

export async function measureStart(): Promise<StartFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'coffer-start-'));
  try {
    const started = performance.now();
    const first = spawnCoffer({ PORT: '0', DATA_DIR: dataDir });
    const base = await waitForListening(first);
    const page = await fetch(base);
    await page.text();
    if (!page.ok) throw new Error(`GET / answered ${page.status}`);
    const secondsToPage = (performance.now() - started) / 1000;
    const firstStartPeakMiB = statusMiB(first, 'VmHWM');
    await stop(first);

    const restarted = spawnCoffer({ PORT: '0', DATA_DIR: dataDir });
    await waitForListening(restarted);
    await sleep(IDLE_MS);
    const restartedIdleMiB = statusMiB(restarted, 'VmRSS');
    await stop(restarted);
    return { secondsToPage, firstStartPeakMiB, restartedIdleMiB };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function startTable(runs: StartFigures[]): string {
  const max = (pick: (run: StartFigures) => number) => Math.max(...runs.map(pick));
  const min = (pick: (run: StartFigures) => number) => Math.min(...runs.map(pick));
  const range = (pick: (run: StartFigures) => number, digits: number) =>
    `${min(pick).toFixed(digits)} to ${max(pick).toFixed(digits)}`;
  return [
    `Start on an empty DATA_DIR (PGlite, fs blobs), ${runs.length} runs:`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| \`npm start\`'s server spawned to a served page | ${range((run) => run.secondsToPage, 2)} s |`,
    `| first start, peak RSS | ${range((run) => run.firstStartPeakMiB, 0)} MiB |`,
    `| restarted, idle ${IDLE_MS / 1000} s, RSS | ${range((run) => run.restartedIdleMiB, 0)} MiB |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs: StartFigures[] = [];
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 3); round++) runs.push(await measureStart());
  console.log(startTable(runs));
}
