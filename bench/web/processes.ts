/**
 * The browser's processes and threads, from /proc: what each is, and their memory and CPU time while a transfer
 * runs.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

import { CLOCK_TICKS, MB, PAGE_BYTES, SAMPLE_EVERY_MS } from './settings.ts';

export const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The fields of /proc/.../stat after the command name (which may hold spaces and parentheses). */
const statFields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** `root` and every process below it. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (!stat) continue;
    const parent = Number(statFields(stat)[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

const kinds = new Map<number, string | null>();
/** What a Chromium process is ("browser", "renderer", "network service"...), or null if it is not Chromium. */
export function kindOf(pid: number): string | null {
  if (kinds.has(pid)) return kinds.get(pid)!;
  let kind: string | null = null;
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    if (exe.includes('chromium') && basename(exe) !== 'chromium') kind = basename(exe);
    else if (exe.includes('chromium')) {
      // Chromium rewrites the command line of the processes it forks, joining the arguments with spaces.
      const argv = (read(`/proc/${pid}/cmdline`) ?? '').split(/[\0 ]/);
      const flag = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
      const type = flag('type');
      const service = flag('utility-sub-type');
      kind = !type
        ? 'browser'
        : type === 'utility' && service
          ? service
              .replace(/^.*\.mojom\./, '')
              .replace(/([a-z])([A-Z])/g, '$1 $2')
              .toLowerCase()
          : type;
    }
  } catch {
    kind = null;
  }
  kinds.set(pid, kind);
  return kind;
}

/** Which renderer this is, from its threads: the service worker's, the page's (it composites), or another. */
export function rendererRole(pid: number): string {
  let threads: string[] = [];
  try {
    threads = readdirSync(`/proc/${pid}/task`).map((tid) => read(`/proc/${pid}/task/${tid}/comm`)?.trim() ?? '');
  } catch {
    // Gone already.
  }
  if (threads.includes('ServiceWorker t')) return 'renderer (service worker)';
  if ((read(`/proc/${pid}/cmdline`) ?? '').includes('--top-chrome-webui')) return 'renderer (browser UI)';
  return threads.includes('Compositor') ? 'renderer (page)' : 'renderer (other)';
}

/** Renderers that run Coffer's code; Chromium's own browser-UI renderer is there whatever the page does. */
const isAppRenderer = (kind: string) => kind.startsWith('renderer (') && kind !== 'renderer (browser UI)';

interface Sample {
  rssBytes: number;
  /** Only on full samples (every PSS_EVERY-th). */
  pssBytes?: number | null;
  pssByKind?: Map<string, { bytes: number; anon: number; shmem: number; count: number }>;
}

export interface Sampling {
  peakPssMB: number | null;
  /** The highest PSS of the app's own renderers: the page's (with its workers) and the service worker's. */
  peakAppPssMB: number | null;
  /** Each of the app's renderers' PSS at that moment. */
  peakAppBreakdown: string;
  peakRssMB: number;
  /** PSS by process kind at the moment of the peak. */
  peakBreakdown: string;
  /** CPU seconds per "process: thread" in the window, largest first. */
  cpu: [string, number][];
  cpuTotal: number;
  samples: number;
  /** Time the sampler spent reading /proc, per second of sampling (its own cost, on the same two cores). */
  costMsPerSecond: number;
}

/** A full sample's PSS by process kind, largest first; a process above 200 MB with its anonymous and shared memory. */
function describePss(sample: Sample, include: (kind: string) => boolean): string {
  return [...sample.pssByKind!]
    .filter(([kind]) => include(kind))
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(
      ([kind, { bytes, anon, shmem, count }]) =>
        `${kind}${count > 1 ? ` (${count})` : ''} ${(bytes / MB).toFixed(0)}` +
        (bytes > 200 * MB ? ` (anonymous ${(anon / MB).toFixed(0)}, shared memory ${(shmem / MB).toFixed(0)})` : ''),
    )
    .join(', ');
}

/** Reading smaps_rollup is slow for a large renderer: PSS and CPU times are read on every 5th sample. */
export const FULL_EVERY = 5;

/**
 * Samples every SAMPLE_EVERY_MS the memory of the browser's processes: the sum of their RSS (which counts a shared
 * page once in every process that maps it), and every FULL_EVERY-th sample the sum of their PSS (from smaps_rollup,
 * which divides each shared page between its sharers) and the CPU time of each of their threads and of the Coffer
 * server's.
 */
export class ProcessSampler {
  #timer: NodeJS.Timeout | undefined;
  #samples: Sample[] = [];
  #processes: { pid: number; kind: string }[] = [];
  #threads = new Map<string, { name: string; start: number; last: number }>();
  #readMs = 0;
  #began = 0;

  constructor(private readonly serverPid: number) {}

  start(): void {
    kinds.clear();
    this.#samples = [];
    this.#threads.clear();
    this.#readMs = 0;
    this.#began = performance.now();
    this.#sample(true);
    this.#timer = setInterval(() => this.#sample(this.#samples.length % FULL_EVERY === 0), SAMPLE_EVERY_MS);
  }

  stop(): Sampling {
    clearInterval(this.#timer);
    this.#sample(true);
    const full = this.#samples.filter((s) => s.pssBytes !== undefined);
    const peakPss = full.every((s) => s.pssBytes !== null)
      ? full.reduce((best, s) => (s.pssBytes! > best.pssBytes! ? s : best))
      : null;
    const peakRss = Math.max(...this.#samples.map((s) => s.rssBytes));
    const totals = new Map<string, number>();
    for (const { name, start, last } of this.#threads.values()) {
      totals.set(name, (totals.get(name) ?? 0) + (last - start) / CLOCK_TICKS);
    }
    const cpu = [...totals].filter(([, seconds]) => seconds >= 0.05).sort((a, b) => b[1] - a[1]);
    const appPss = (sample: Sample) =>
      [...sample.pssByKind!].reduce((sum, [kind, { bytes }]) => sum + (isAppRenderer(kind) ? bytes : 0), 0);
    const peakApp = peakPss ? full.reduce((best, s) => (appPss(s) > appPss(best) ? s : best)) : null;
    return {
      peakPssMB: peakPss ? peakPss.pssBytes! / MB : null,
      peakAppPssMB: peakApp ? appPss(peakApp) / MB : null,
      peakAppBreakdown: peakApp ? describePss(peakApp, isAppRenderer) : '',
      peakRssMB: peakRss / MB,
      peakBreakdown: peakPss ? describePss(peakPss, () => true) : '',
      cpu,
      cpuTotal: [...totals.values()].reduce((sum, seconds) => sum + seconds, 0),
      samples: this.#samples.length,
      costMsPerSecond: (this.#readMs * 1000) / Math.max(1, performance.now() - this.#began),
    };
  }

  #sample(full: boolean): void {
    const began = performance.now();
    if (full || this.#samples.length === 0) {
      // Chromium is this process's child (through Debian's wrapper script, which kindOf leaves out with every other
      // process that is not Chromium, such as the Coffer server).
      this.#processes = descendants(process.pid)
        .map((pid) => ({ pid, kind: kindOf(pid) }))
        .filter((found): found is { pid: number; kind: string } => found.kind !== null)
        .map(({ pid, kind }) => ({ pid, kind: kind === 'renderer' ? rendererRole(pid) : kind }));
    }
    const sample: Sample = { rssBytes: 0 };
    for (const { pid } of this.#processes) {
      const statm = read(`/proc/${pid}/statm`);
      if (statm) sample.rssBytes += Number(statm.split(' ')[1]) * PAGE_BYTES;
    }
    if (full) {
      sample.pssBytes = 0;
      sample.pssByKind = new Map();
      for (const { pid, kind } of this.#processes) {
        const rollup = read(`/proc/${pid}/smaps_rollup`);
        const pss = rollup && /^Pss:\s+(\d+) kB/m.exec(rollup);
        if (rollup === undefined && !existsSync(`/proc/${pid}`)) continue;
        if (pss && sample.pssBytes !== null) {
          sample.pssBytes += Number(pss[1]) * 1024;
          const field = (name: string) =>
            Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
          const known = sample.pssByKind.get(kind) ?? { bytes: 0, anon: 0, shmem: 0, count: 0 };
          sample.pssByKind.set(kind, {
            bytes: known.bytes + Number(pss[1]) * 1024,
            anon: known.anon + field('Pss_Anon'),
            shmem: known.shmem + field('Pss_Shmem'),
            count: known.count + 1,
          });
        } else sample.pssBytes = null;
      }
      this.#readThreads(this.#samples.length === 0);
    }
    this.#samples.push(sample);
    this.#readMs += performance.now() - began;
  }

  #readThreads(first: boolean): void {
    for (const { pid, kind } of [...this.#processes, { pid: this.serverPid, kind: 'Coffer server' }]) {
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        const stat = read(`/proc/${pid}/task/${tid}/stat`);
        if (!stat) continue;
        const fields = statFields(stat);
        const ticks = Number(fields[11]) + Number(fields[12]);
        const key = `${pid}/${tid}`;
        const known = this.#threads.get(key);
        if (known) known.last = ticks;
        else {
          const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          const thread = tid === String(pid) ? `${comm} (main)` : comm;
          this.#threads.set(key, { name: `${kind}: ${thread}`, start: first ? ticks : 0, last: ticks });
        }
      }
    }
  }
}
