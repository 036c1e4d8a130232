/**
 * `npm run bench:web`: the web app in headless Chromium against a local Coffer started as `npm start` starts it
 * (dist/main.js serving web/build, PGlite and the fs blob store in a temporary directory, a free port, no effective
 * rate limit). In a fresh browser each round, a user signs up with a PRF passkey (a CDP virtual authenticator),
 * reloads so that the service worker controls the page, and unlocks; then a BENCH_MIB (1024) MiB file of random bytes
 * is uploaded through the file picker and downloaded through the row's menu (decrypted by the service worker as the
 * download manager writes it), and the downloaded bytes are checked; then, in the same browser, the same encrypted
 * stream from a plain Node server is downloaded through a bare service worker, decrypted and not, and straight, and
 * decrypted into a file through the File System Access API, to show what Chromium's own paths allow
 * (bench/service-worker-ceiling.ts). Each throughput is a ratio to the plain Node HTTP baseline of bench/bench-kit.ts
 * (Node's fetch PUTting the same 1 GiB of chunks to a server that writes them to disk, then GETting them back),
 * measured in the same run: rounds alternate the baseline and the web app as bench/server.ts does. During each
 * transfer the browser's processes are sampled (RSS every 200 ms; PSS and CPU time per thread every second), and the
 * last round repeats both transfers under Chromium's memory-infra dumps and V8's CPU profiler, to show where the memory
 * and the time go.
 * Then BENCH_LISTING_FILES (10,000) one-byte files are uploaded as a folder, and opening that folder is timed: the
 * renderer main thread's busy time (CDP Performance.getMetrics) from the click to the rendered list, median of 3,
 * and one more load under the CPU profiler.
 * Settings: BENCH_ROUNDS (3), BENCH_ONLY=transfer or listing, BENCH_PROFILE a directory for the CPU profiles (the
 * Coffer server's in its server/ folder), BENCH_PLAYWRIGHT=attached (below). Needs dist/ and web/build from
 * `npm run build` (the npm script builds first).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeSync,
} from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/chromium.ts';
import { addVirtualAuthenticator } from '../tests/e2e/virtual-authenticator.ts';
import { waitForListening } from '../tests/server/server-process.ts';
import { createPostgresDatabase } from '../tests/server/test-databases.ts';
import { CHUNKS, median, MiB, ROUNDS, runBaseline, spawnCoffer, T, TOTAL, type Transfer } from './bench-kit.ts';
import {
  CEILING_PATHS,
  DECRYPT_INTO_FILE,
  encryptForCeiling,
  OFFER_SAVED_FILE,
  startCeilingServer,
  type CeilingPath,
  type CeilingServer,
} from './service-worker-ceiling.ts';

const FILE_BYTES = TOTAL;
const LISTING_FILES = Number(process.env.BENCH_LISTING_FILES ?? 10_000);
const LISTING_LOADS = 3;
const ONLY = process.env.BENCH_ONLY?.toLowerCase().split(',');
const PROFILE_DIR = process.env.BENCH_PROFILE;
/** BENCH_DIAGNOSE=off leaves out the last round's diagnostic pass (memory-infra dumps and CPU profiles). */
const DIAGNOSE = process.env.BENCH_DIAGNOSE !== 'off';
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'pglite';
const SAMPLE_EVERY_MS = 200;
const UPLOAD_PROFILE_MS = 15_000;
const UPLOAD_TRACE_MS = 5_000;
const MB = 1e6;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE']).toString()) || 4096;
const BIG_NAME = 'bench-file.bin';
const CEILING_STREAM = 'ceiling.coffer';
/** The ceiling's downloads through a URL, and its File System Access path. */
type CeilingRun = CeilingPath | 'fileSystemAccess';
const GOALS = { ratio: 0.6, memoryMB: 300, listingMs: 1000 };
const fmt = (value: number | null | undefined, digits = 0) => (value == null ? 'n/a' : value.toFixed(digits));

// ---- The browser's processes, from /proc -------------------------------------------------------------------------

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The fields of /proc/.../stat after the command name (which may hold spaces and parentheses). */
const statFields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** `root` and every process below it. */
function descendants(root: number): number[] {
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
function kindOf(pid: number): string | null {
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
function rendererRole(pid: number): string {
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

interface Sampling {
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

/** Reading smaps_rollup costs up to 50 ms for a renderer here: PSS and CPU times are read on every 5th sample. */
const FULL_EVERY = 5;

/**
 * Samples every SAMPLE_EVERY_MS the memory of the browser's processes: the sum of their RSS (which counts a shared
 * page once in every process that maps it), and every FULL_EVERY-th sample the sum of their PSS (from smaps_rollup,
 * which divides each shared page between its sharers) and the CPU time of each of their threads and of the Coffer
 * server's.
 */
class ProcessSampler {
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

// ---- Coffer and Chromium -----------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

interface Coffer {
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Coffer as `npm start` runs it, on a free port, its data in `dataDir`, with a rate limit no benchmark reaches; on
 * PGlite (the embedded default) or, with BENCH_DATABASE=postgres, on a fresh database of the local Postgres.
 */
async function startCoffer(dataDir: string): Promise<Coffer> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const postgres = DATABASE === 'postgres' ? await createPostgresDatabase() : undefined;
  const child = spawnCoffer(
    {
      PORT: String(port),
      DATA_DIR: dataDir,
      PUBLIC_ORIGIN: origin,
      DEFAULT_QUOTA_BYTES: String(4 * FILE_BYTES),
      RATE_LIMIT_PER_SECOND: '100000',
      ...(postgres ? { DATABASE_URL: postgres.url } : {}),
    },
    PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, 'server')}`] : [],
  );
  await waitForListening(child);
  child.stdout!.resume();
  return {
    origin,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await postgres?.drop();
    },
  };
}

// ---- Chromium without Playwright's instrumentation ---------------------------------------------------------------

/**
 * Why the page is not driven by Playwright: Playwright attaches to every page and dedicated worker and enables CDP's
 * Network domain there without a maxPostDataSize, so Chromium copies every request body, base64 encoded, into a
 * DevTools event that crosses to the browser process and to Playwright. The upload worker's 4 MiB PUTs become many
 * times slower (a worker PUTting 256 MiB: 1.2 s in Chromium alone, 14.5 s with Playwright attached), and every new
 * worker waits for Playwright to attach. So Chromium is started here with --remote-debugging-pipe, over which this
 * file drives the page with a handful of CDP commands, none of which watches the network (the Network and Fetch
 * domains are never enabled); the steps are those of tests/e2e/sign-up.ts and tests/e2e/files.test.ts. (Playwright
 * cannot do the sign-up and then leave: when it disconnected, the tab's virtual authenticator went with it.)
 * BENCH_PLAYWRIGHT=attached also connects Playwright (connectOverCDP) after the sign-up and keeps it connected, to
 * show what it costs.
 */
const PLAYWRIGHT_ATTACHED = process.env.BENCH_PLAYWRIGHT === 'attached';
/** As the browser reports it ("HeadlessChrome/..."), from the first session. */
let chromiumVersion = 'Chromium';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** The browser's end of --remote-debugging-pipe: JSON messages separated by NUL bytes, on fds 3 (in) and 4 (out). */
class CdpPipe {
  #next = 0;
  #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  #listeners = new Set<(message: CdpMessage) => void>();
  #buffered: Buffer[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.on('data', (data: Buffer) => {
      let start = 0;
      for (let end = data.indexOf(0); end !== -1; start = end + 1, end = data.indexOf(0, start)) {
        this.#buffered.push(data.subarray(start, end));
        this.#dispatch(JSON.parse(Buffer.concat(this.#buffered).toString()) as CdpMessage);
        this.#buffered = [];
      }
      if (start < data.length) this.#buffered.push(data.subarray(start));
    });
  }

  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = ++this.#next;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
    });
  }

  /** Calls `listener` with every event until it returns true. */
  listen(listener: (message: CdpMessage) => boolean): void {
    const wrapped = (message: CdpMessage) => {
      if (listener(message)) this.#listeners.delete(wrapped);
    };
    this.#listeners.add(wrapped);
  }

  #dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message.result);
      return;
    }
    for (const listener of [...this.#listeners]) listener(message);
  }
}

/** Finds an element by CSS selector and accessible-ish name: its aria-label, else its text outside aria-hidden parts. */
const FIND = `(selector, name) => [...document.querySelectorAll(selector)].find((element) => {
  const label = element.getAttribute('aria-label');
  const text = [...element.childNodes]
    .filter((node) => !(node.nodeType === 1 && node.getAttribute('aria-hidden') === 'true'))
    .map((node) => node.textContent).join('').trim();
  return (label ?? text) === name;
})`;

/** The app's page, driven over the pipe: evaluate, wait, click with real mouse events, pick files. */
class PageDriver {
  constructor(
    readonly cdp: CdpPipe,
    readonly sessionId: string,
  ) {}

  send<T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value?: T };
      exceptionDetails?: { exception?: { description?: string }; text: string };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value as T;
  }

  /**
   * Waits until `expression` is truthy. The page checks it itself, at each change to the document and every 50 ms, for
   * up to a second per evaluation: asking over the protocol every 50 ms cost the page's main thread more than the check
   * (a script compiled and run each time), during the very transfers being measured.
   */
  async waitFor(expression: string, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await this.#metWithinASecond(expression))) {
      if (timeoutMs > 0 && performance.now() > deadline) {
        const text = await this.evaluate<string>(`location.pathname + ': ' + document.body.innerText.slice(0, 500)`);
        throw new Error(`timed out waiting for ${what}; the page shows ${text}`);
      }
    }
  }

  /** False when a second passed without `expression` holding, or when the page navigated away meanwhile. */
  async #metWithinASecond(expression: string): Promise<boolean> {
    const check = `new Promise((resolve) => {
      const met = () => Boolean(${expression});
      if (met()) return resolve(true);
      const finish = (value) => {
        observer.disconnect();
        clearInterval(poll);
        clearTimeout(giveUp);
        resolve(value);
      };
      const observer = new MutationObserver(() => met() && finish(true));
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const poll = setInterval(() => met() && finish(true), 50);
      const giveUp = setTimeout(() => finish(false), 1000);
    })`;
    try {
      return await this.evaluate<boolean>(check);
    } catch (error) {
      if (/context was destroyed|navigated or closed/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  waitForElement(selector: string, name: string, timeoutMs?: number): Promise<void> {
    return this.waitFor(
      `(${FIND})(${JSON.stringify(selector)}, ${JSON.stringify(name)})`,
      `${selector} "${name}"`,
      timeoutMs,
    );
  }

  /** Where the element is, in the viewport, once it exists. */
  async locate(selector: string, name: string): Promise<{ x: number; y: number }> {
    const find = `(${FIND})(${JSON.stringify(selector)}, ${JSON.stringify(name)})`;
    await this.waitFor(find, `${selector} "${name}"`);
    return this.evaluate(`(() => {
      const element = ${find};
      element.scrollIntoView({ block: 'center' });
      const box = element.getBoundingClientRect();
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    })()`);
  }

  async clickAt({ x, y }: { x: number; y: number }): Promise<void> {
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
  }

  async click(selector: string, name: string): Promise<void> {
    await this.clickAt(await this.locate(selector, name));
  }

  /** As Playwright's setInputFiles: a file input gets these paths (a directory, for a webkitdirectory input). */
  async setInputFiles(label: string, files: string[]): Promise<void> {
    const { result } = await this.send<{ result: { objectId: string } }>('Runtime.evaluate', {
      expression: `document.querySelector(${JSON.stringify(`input[aria-label="${label}"]`)})`,
    });
    await this.send('DOM.setFileInputFiles', { objectId: result.objectId, files });
  }

  async reload(): Promise<void> {
    await this.send('Page.reload');
    await this.waitFor(`document.readyState === 'complete'`, 'the reload');
  }

  /** The renderer main thread's counters (seconds, and bytes for the heap); see Performance.getMetrics. */
  async metrics(): Promise<Record<string, number>> {
    const { metrics } = await this.send<{ metrics: { name: string; value: number }[] }>('Performance.getMetrics');
    return Object.fromEntries(metrics.map(({ name, value }) => [name, value]));
  }
}

/**
 * The JavaScript heaps of the page, its dedicated workers and the service worker (Runtime.getHeapUsage: V8's heap
 * and the ArrayBuffer backing stores it holds), every second; their highest sum, and each part of it.
 */
class HeapWatcher {
  #roles = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #peak = { total: 0, parts: '' };

  constructor(private readonly page: PageDriver) {
    page.cdp.listen((message) => {
      const params = message.params as { sessionId: string; targetInfo?: { type: string } };
      if (message.method === 'Target.attachedToTarget' && params.targetInfo?.type === 'worker') {
        this.#roles.set(params.sessionId, 'workers');
      } else if (message.method === 'Target.detachedFromTarget') this.#roles.delete(params.sessionId);
      return false;
    });
  }

  async start(): Promise<void> {
    this.#roles.set(this.page.sessionId, 'page');
    // Attached without waiting for the debugger and with no domain enabled, workers run as they would.
    await this.page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
    const { cdp } = this.page;
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
    for (const target of targetInfos.filter((info) => info.type === 'service_worker')) {
      const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
        targetId: target.targetId,
        flatten: true,
      });
      this.#roles.set(sessionId, 'service worker');
    }
    this.#peak = { total: 0, parts: '' };
    this.#timer = setInterval(() => void this.#sample(), SAMPLE_EVERY_MS * FULL_EVERY);
  }

  async stop(): Promise<string> {
    clearInterval(this.#timer);
    await this.#sample();
    return this.#peak.parts;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const parts = new Map<string, { heap: number; buffers: number }>();
    await Promise.all(
      [...this.#roles].map(async ([sessionId, role]) => {
        const usage = await this.page.cdp
          .send<{ usedSize: number; backingStorageSize: number }>('Runtime.getHeapUsage', {}, sessionId)
          .catch(() => undefined);
        if (!usage) return;
        const part = parts.get(role) ?? { heap: 0, buffers: 0 };
        parts.set(role, { heap: part.heap + usage.usedSize, buffers: part.buffers + usage.backingStorageSize });
      }),
    );
    const total = [...parts.values()].reduce((sum, part) => sum + part.heap + part.buffers, 0);
    if (total > this.#peak.total) {
      this.#peak = {
        total,
        parts: [...parts]
          .map(([role, { heap, buffers }]) => `${role} ${(heap / MB).toFixed(0)} + ${(buffers / MB).toFixed(0)}`)
          .join(', '),
      };
    }
    this.#busy = false;
  }
}

interface Session {
  cdp: CdpPipe;
  page: PageDriver;
  /** Where Chromium saves downloads (under their CDP guid). */
  downloads: string;
  close(): Promise<void>;
}

/**
 * Chromium with a PRF virtual authenticator on the page; signed up in the UI (by Playwright, then disconnected),
 * reloaded so that the service worker controls the page, and unlocked: the app as users run it.
 */
async function openSession(origin: string, scratch: string): Promise<Session> {
  const profile = await mkdtemp(join(scratch, 'chromium-'));
  const downloads = join(profile, 'downloads');
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...CHROMIUM_ARGS,
      '--remote-debugging-pipe',
      ...(PLAYWRIGHT_ATTACHED ? ['--remote-debugging-port=0'] : []),
      `--user-data-dir=${profile}`,
      '--window-size=1280,720',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  const endpoint = PLAYWRIGHT_ATTACHED
    ? new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', () => {
          const match = /DevTools listening on ws:\/\/([^/\s]+)/.exec(output);
          if (match) resolve(`http://${match[1]}`);
        });
        child.on('exit', (code) => reject(new Error(`Chromium exited with ${code}:\n${output}`)));
      })
    : undefined;
  const cdp = new CdpPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const close = async () => {
    if (child.exitCode !== null) return;
    const exited = once(child, 'exit');
    await cdp.send('Browser.close').catch(() => undefined);
    await exited;
  };
  try {
    chromiumVersion = (await cdp.send<{ product: string }>('Browser.getVersion')).product;
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
    const target = targetInfos.find((info) => info.type === 'page')!;
    const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
      targetId: target.targetId,
      flatten: true,
    });
    const page = new PageDriver(cdp, sessionId);
    // WebAuthn wants a focused document; a headless page is focused only when emulated (as Playwright does too).
    await page.send('Emulation.setFocusEmulationEnabled', { enabled: true });
    await page.send('WebAuthn.enable');
    // tests/e2e/virtual-authenticator.ts sends its one command through whatever has `send`.
    await addVirtualAuthenticator(
      { send: (method: string, params: object) => page.send(method, params) } as never,
      true,
    );

    await signUp(page, origin);
    // The app locks after 15 minutes without a click or a key, which a long upload with nobody at the keyboard
    // outlasts (the panel that says 'Uploads complete' goes with the lock): four hours, the longest Settings offers.
    await page.evaluate(`localStorage.setItem('coffer.idleLockMs', String(4 * 3600 * 1000))`);
    await page.evaluate(`navigator.serviceWorker.ready.then(() => true)`);
    await reloadAndUnlock(page);
    // Connected only now: Playwright's detaching would take the virtual authenticator with it.
    if (endpoint) await chromium.connectOverCDP(await endpoint);
    if (!(await page.evaluate<boolean>(`navigator.serviceWorker.controller?.state === 'activated'`))) {
      throw new Error('the service worker does not control the page after the reload');
    }
    await cdp.send('Browser.setDownloadBehavior', {
      behavior: 'allowAndName',
      downloadPath: downloads,
      eventsEnabled: true,
    });
    return { cdp, page, downloads, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** As tests/e2e/sign-up.ts does it, over the pipe: a passkey, the recovery code confirmed, the unlocked app. */
async function signUp(page: PageDriver, origin: string): Promise<void> {
  await page.send('Page.navigate', { url: origin });
  await page.click('a', 'Create an account');
  await page.click('button', 'Create a passkey');
  await page.click('label', 'I have saved my recovery code somewhere safe');
  await page.waitFor(`!(${FIND})('button', 'Continue').disabled`, 'the Continue button');
  await page.click('button', 'Continue');
  await page.waitFor(`document.querySelector('[data-testid="unlocked"]')`, 'the unlocked app');
}

async function openFiles(page: PageDriver): Promise<void> {
  await page.click('a', 'Files');
  await page.waitForElement('h1', 'My files');
}

/** After a reload the master key is gone: one touch of the passkey brings it back (as unlockWithPasskey does). */
async function reloadAndUnlock(page: PageDriver): Promise<void> {
  await page.reload();
  await page.waitFor(`location.pathname === '/unlock'`, 'the unlock page');
  await page.click('button', 'Unlock with your passkey');
  await page.waitFor(`document.querySelector('[data-testid="unlocked"]')`, 'the unlocked app');
}

interface MainThread {
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  heapMB: number;
}

const mainThreadSince = (before: Record<string, number>, after: Record<string, number>): MainThread => ({
  taskMs: (after.TaskDuration! - before.TaskDuration!) * 1000,
  scriptMs: (after.ScriptDuration! - before.ScriptDuration!) * 1000,
  layoutMs: (after.LayoutDuration! - before.LayoutDuration!) * 1000,
  styleMs: (after.RecalcStyleDuration! - before.RecalcStyleDuration!) * 1000,
  heapMB: after.JSHeapUsedSize! / MB,
});

// ---- The 1 GiB file ----------------------------------------------------------------------------------------------

/** Writes `bytes` of random data to `path`, hashing it on the way. */
function writeRandomFile(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const piece = Buffer.alloc(MiB);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += piece.length) {
      const part = piece.subarray(0, Math.min(piece.length, bytes - written));
      randomFillSync(part);
      hash.update(part);
      writeSync(fd, part);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>) {
    hash.update(piece);
    bytes += piece.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

interface WebRun extends Transfer {
  upload: Sampling;
  download: Sampling;
  uploadMainThread: MainThread;
  downloadMainThread: MainThread;
  idle: Sampling;
  /** In the last round only. */
  diagnosis: Diagnosis | undefined;
  /** JavaScript heaps at their highest, as HeapWatcher reports them. */
  uploadHeaps: string;
  downloadHeaps: string;
  /** The same browser's downloads of the same stream without Coffer (bench/service-worker-ceiling.ts). */
  ceiling: Record<CeilingRun, { seconds: number; bytes: number; sampling: Sampling }>;
}

/** Waits for the download Chromium reports complete; it is saved under its guid. */
function nextDownload(cdp: CdpPipe): Promise<string> {
  return new Promise((resolve, reject) => {
    cdp.listen((message) => {
      if (message.method !== 'Browser.downloadProgress') return false;
      const { guid, state } = message.params as { guid: string; state: string };
      if (state === 'completed') resolve(guid);
      else if (state === 'canceled') reject(new Error('the download was cancelled'));
      else return false;
      return true;
    });
  });
}

// ---- Where the transfers' time and memory go ------------------------------------------------------------------

interface MemoryDump {
  /** Private footprint of every process, MB. */
  totalMB: number;
  /** Per process: its footprint and its largest allocators (Chromium's memory-infra names). */
  processes: string[];
}

interface Diagnosis {
  uploadSeconds: number;
  downloadSeconds: number;
  upload: MemoryDump | null;
  download: MemoryDump | null;
  /** The renderers' PSS and ArrayBuffers just after each transfer, and after a forced garbage collection. */
  afterUpload: string;
  afterDownload: string;
  workerProfileSeconds: number;
  workerProfile: { totalMs: number; top: ProfileLine[] };
  serviceWorkerProfile: { totalMs: number; top: ProfileLine[] };
}

const hex = (value: string | undefined) => (value ? parseInt(value, 16) : 0);

/** The memory-infra dump, of those taken in `guids`, whose processes' private footprints add up highest. */
function largestDump(events: TraceEvent[], guids: string[]): MemoryDump | null {
  const names = new Map<number, string>();
  const threads = new Map<number, string[]>();
  for (const event of events.filter((e) => e.ph === 'M')) {
    if (event.name === 'process_name') names.set(event.pid, String(event.args.name));
    if (event.name === 'thread_name')
      threads.set(event.pid, [...(threads.get(event.pid) ?? []), String(event.args.name)]);
  }
  const nameOf = (pid: number) => {
    const name = names.get(pid) ?? String(pid);
    const has = (thread: string) => threads.get(pid)?.includes(thread);
    if (name !== 'Renderer') return name;
    return has('ServiceWorker thread')
      ? 'Renderer of the service worker'
      : has('DedicatedWorker thread')
        ? 'Renderer of the page and its workers'
        : name;
  };
  let best: MemoryDump | null = null;
  for (const guid of guids) {
    const perProcess = new Map<number, { footprint: number; allocators: Map<string, number> }>();
    for (const event of events.filter((e) => e.ph === 'v' && e.id === guid)) {
      const dumps = event.args.dumps as {
        process_totals?: { private_footprint_bytes?: string };
        allocators?: Record<string, { attrs?: { size?: { value: string } } }>;
      };
      const entry = perProcess.get(event.pid) ?? { footprint: 0, allocators: new Map<string, number>() };
      entry.footprint ||= hex(dumps.process_totals?.private_footprint_bytes);
      for (const [name, allocator] of Object.entries(dumps.allocators ?? {})) {
        const depth = name.split('/').length;
        const top =
          name.startsWith('partition_alloc/partitions/') && depth === 3
            ? name
            : name.startsWith('shared_memory/') && depth === 2
              ? 'shared_memory'
              : depth === 1 && !['partition_alloc', 'global', 'shared_memory'].includes(name)
                ? name
                : undefined;
        if (!top) continue;
        entry.allocators.set(top, (entry.allocators.get(top) ?? 0) + hex(allocator.attrs?.size?.value));
      }
      perProcess.set(event.pid, entry);
    }
    const totalMB = [...perProcess.values()].reduce((sum, entry) => sum + entry.footprint, 0) / MB;
    if (best && totalMB <= best.totalMB) continue;
    best = {
      totalMB,
      processes: [...perProcess]
        .sort((a, b) => b[1].footprint - a[1].footprint)
        .filter(([, entry]) => entry.footprint > 20 * MB)
        .map(
          ([pid, entry]) =>
            `${nameOf(pid)} ${(entry.footprint / MB).toFixed(0)} MB: ` +
            [...entry.allocators]
              .filter(([, bytes]) => bytes >= 3 * MB)
              .sort((a, b) => b[1] - a[1])
              .map(([name, bytes]) => `${name} ${(bytes / MB).toFixed(0)}`)
              .join(', '),
        ),
    };
  }
  return best;
}

/** PSS of each renderer role, MB. */
function rendererPss(): Map<string, number> {
  const found = new Map<string, number>();
  for (const pid of descendants(process.pid)) {
    if (kindOf(pid) !== 'renderer') continue;
    const pss = /^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '');
    const role = rendererRole(pid);
    if (pss) found.set(role, (found.get(role) ?? 0) + (Number(pss[1]) * 1024) / MB);
  }
  return found;
}

/**
 * Is the memory still held garbage, or live? The page's and the service worker's renderers' PSS and the ArrayBuffers
 * of those JavaScript contexts, now and after HeapProfiler.collectGarbage in each.
 */
async function garbageCheck(cdp: CdpPipe, sessionIds: string[]): Promise<string> {
  const buffers = async () => {
    let total = 0;
    for (const sessionId of sessionIds) {
      const usage = await cdp.send<{ backingStorageSize: number }>('Runtime.getHeapUsage', {}, sessionId);
      total += usage.backingStorageSize;
    }
    return total / MB;
  };
  const pss = (map: Map<string, number>) =>
    ['renderer (page)', 'renderer (service worker)'].map((role) => `${role} ${fmt(map.get(role))}`).join(', ');
  const before = { pss: rendererPss(), buffers: await buffers() };
  for (const sessionId of sessionIds) {
    await cdp.send('HeapProfiler.enable', {}, sessionId);
    await cdp.send('HeapProfiler.collectGarbage', {}, sessionId);
    await cdp.send('HeapProfiler.disable', {}, sessionId);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = { pss: rendererPss(), buffers: await buffers() };
  return (
    `PSS ${pss(before.pss)} MB, ArrayBuffers ${fmt(before.buffers)} MB; after a forced garbage collection ` +
    `PSS ${pss(after.pss)} MB, ArrayBuffers ${fmt(after.buffers)} MB`
  );
}

/** Ends the browser's trace and reads it back. */
async function endTrace(cdp: CdpPipe): Promise<TraceEvent[]> {
  const complete = new Promise<string>((resolve) =>
    cdp.listen((message) => {
      if (message.method !== 'Tracing.tracingComplete') return false;
      resolve((message.params as { stream: string }).stream);
      return true;
    }),
  );
  await cdp.send('Tracing.end');
  const stream = await complete;
  const pieces: Buffer[] = [];
  for (;;) {
    const chunk = await cdp.send<{ data: string; base64Encoded?: boolean; eof: boolean }>('IO.read', {
      handle: stream,
    });
    pieces.push(Buffer.from(chunk.data, chunk.base64Encoded ? 'base64' : 'utf8'));
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const trace = JSON.parse(Buffer.concat(pieces).toString()) as TraceEvent[] | { traceEvents: TraceEvent[] };
  return Array.isArray(trace) ? trace : trace.traceEvents;
}

/**
 * What the page's main thread does, from a timeline trace of `ms`: the renderer main thread (CrRendererMain) with
 * the most task time, its tasks' total, and the time inside each kind of event nested in them (an event's time
 * minus that of the events nested in it), largest first.
 */
async function traceMainThread(cdp: CdpPipe, ms: number): Promise<{ taskMs: number; top: ProfileLine[] }> {
  await cdp.send('Tracing.start', {
    traceConfig: {
      recordMode: 'recordAsMuchAsPossible',
      includedCategories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc'],
    },
    transferMode: 'ReturnAsStream',
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  const events = await endTrace(cdp);
  const mains = new Set(
    events
      .filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args.name === 'CrRendererMain')
      .map((event) => `${event.pid}/${event.tid}`),
  );
  const byThread = new Map<string, TraceEvent[]>();
  for (const event of events) {
    const thread = `${event.pid}/${event.tid}`;
    if (event.ph !== 'X' || !mains.has(thread) || event.dur === undefined) continue;
    byThread.set(thread, [...(byThread.get(thread) ?? []), event]);
  }
  const isTask = (event: TraceEvent) => event.name === 'ThreadControllerImpl::RunTask' || event.name === 'RunTask';
  const byStart = (list: TraceEvent[]) => [...list].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
  /** The time of the outermost events: tasks nest (RunTask inside ThreadControllerImpl::RunTask). */
  const taskTime = (list: TraceEvent[]) => {
    let total = 0;
    let end = -Infinity;
    for (const event of byStart(list)) {
      if (event.ts! < end) continue;
      total += event.dur!;
      end = event.ts! + event.dur!;
    }
    return total;
  };
  const busiest = [...byThread.values()].sort((a, b) => taskTime(b) - taskTime(a))[0] ?? [];
  // Self time: walk the events in start order with a stack of the ones still open.
  const self = new Map<string, number>();
  const stack: { event: TraceEvent; end: number; children: number }[] = [];
  const close = (until: number) => {
    while (stack.length > 0 && stack.at(-1)!.end <= until) {
      const { event, children } = stack.pop()!;
      if (!isTask(event)) self.set(event.name, (self.get(event.name) ?? 0) + event.dur! - children);
      if (stack.length > 0) stack.at(-1)!.children += event.dur!;
    }
  };
  for (const event of byStart(busiest)) {
    close(event.ts!);
    stack.push({ event, end: event.ts! + event.dur!, children: 0 });
  }
  close(Infinity);
  return {
    taskMs: taskTime(busiest) / 1000,
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([what, micros]) => ({ what, ms: micros / 1000 })),
  };
}

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: string;
  args: Record<string, unknown>;
}

/**
 * Not timed for the results: the same upload (a new version of the file) and download again, with Chromium's
 * memory-infra dumps every second (private footprint per process, by allocator) and V8's CPU profiler in the upload
 * workers (for their first `profileMs`; they end with the upload) and in the service worker (the whole download).
 */
async function diagnose(session: Session, file: { path: string }, profileMs: number): Promise<Diagnosis> {
  const { cdp, page } = session;
  await cdp.send('Tracing.start', {
    traceConfig: {
      recordMode: 'recordAsMuchAsPossible',
      traceBufferSizeInKb: 200_000,
      includedCategories: ['disabled-by-default-memory-infra'],
      memoryDumpConfig: { triggers: [] },
    },
    transferMode: 'ReturnAsStream',
  });
  // The phase of each dump, in order: the trace numbers its dumps afresh (not by the guids the requests return).
  const dumpPhases: ('upload' | 'download')[] = [];
  let phase: 'upload' | 'download' = 'upload';
  let dumping = false;
  const dumper = setInterval(() => {
    if (dumping) return;
    dumping = true;
    const during = phase;
    void cdp
      .send<{ success: boolean }>('Tracing.requestMemoryDump', { levelOfDetail: 'light' })
      .then(({ success }) => success && dumpPhases.push(during))
      .catch(() => undefined)
      .finally(() => (dumping = false));
  }, 1000);

  const workers: string[] = [];
  cdp.listen((message) => {
    const params = message.params as { sessionId: string; targetInfo?: { type: string } };
    if (message.method === 'Target.attachedToTarget' && params.targetInfo?.type === 'worker') {
      workers.push(params.sessionId);
      // The worker waits for the debugger: its profile starts with its first line.
      void cdp
        .send('Profiler.enable', {}, params.sessionId)
        .then(() => cdp.send('Profiler.start', {}, params.sessionId))
        .finally(() => cdp.send('Runtime.runIfWaitingForDebugger', {}, params.sessionId));
    }
    return false;
  });
  await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  const uploadStart = performance.now();
  await page.setInputFiles('Files to upload', [file.path]);
  // Workers end with the upload, and their profiles with them: stopped about halfway through.
  await new Promise((resolve) => setTimeout(resolve, profileMs));
  const workerProfiles = await Promise.all(
    workers.map((sessionId) =>
      cdp
        .send<{ profile: CpuProfile }>('Profiler.stop', {}, sessionId)
        .then(({ profile }) => profile)
        .catch(() => undefined),
    ),
  );
  await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  await page.waitForElement('h2', 'Uploads complete', 0);
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  await page.click('button', 'Clear finished');
  const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
  const serviceWorker = targetInfos.find((info) => info.type === 'service_worker');
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId: serviceWorker!.targetId,
    flatten: true,
  });
  const afterUpload = await garbageCheck(cdp, [page.sessionId, sessionId]);

  phase = 'download';
  await page.click('button', `Actions for ${BIG_NAME}`);
  const menuItem = await page.locate('[popover]:popover-open button', 'Download');
  await cdp.send('Profiler.enable', {}, sessionId);
  await cdp.send('Profiler.start', {}, sessionId);
  const downloadStart = performance.now();
  const downloaded = nextDownload(cdp);
  await page.clickAt(menuItem);
  await rm(join(session.downloads, await downloaded));
  const downloadSeconds = (performance.now() - downloadStart) / 1000;
  const { profile } = await cdp.send<{ profile: CpuProfile }>('Profiler.stop', {}, sessionId);
  clearInterval(dumper);
  const afterDownload = await garbageCheck(cdp, [sessionId]);

  await new Promise((resolve) => setTimeout(resolve, 1000));
  const events = await endTrace(cdp);
  const ids = [...new Set(events.filter((event) => event.ph === 'v').map((event) => event.id!))].sort(
    (a, b) => hex(a) - hex(b),
  );
  const idsOf = (wanted: string) =>
    ids.length === dumpPhases.length ? ids.filter((_, i) => dumpPhases[i] === wanted) : [];
  if (PROFILE_DIR) {
    await mkdir(PROFILE_DIR, { recursive: true });
    await writeFile(join(PROFILE_DIR, 'service-worker-download.cpuprofile'), JSON.stringify(profile));
    for (const [i, one] of workerProfiles.entries()) {
      if (one) await writeFile(join(PROFILE_DIR, `upload-worker-${i}.cpuprofile`), JSON.stringify(one));
    }
  }
  return {
    uploadSeconds,
    downloadSeconds,
    upload: largestDump(events, idsOf('upload')),
    download: largestDump(events, idsOf('download')),
    afterUpload,
    afterDownload,
    workerProfileSeconds: profileMs / 1000,
    workerProfile: summarizeProfile(
      workerProfiles.filter((one): one is CpuProfile => one !== undefined),
      15,
    ),
    serviceWorkerProfile: summarizeProfile([profile], 15),
  };
}

/** A fresh Coffer and a fresh browser signed up to it, at the file manager; both are stopped after `work`. */
async function withFreshSession<T>(
  scratch: string,
  work: (session: Session, coffer: Coffer) => Promise<T>,
): Promise<T> {
  const coffer = await startCoffer(await mkdtemp(join(scratch, 'coffer-')));
  const session = await openSession(coffer.origin, scratch);
  try {
    await openFiles(session.page);
    return await work(session, coffer);
  } finally {
    await session.close();
    await coffer.stop();
  }
}

/**
 * Downloads each of CEILING_PATHS once, in a new tab of the session's browser at the ceiling server's origin, once its
 * service worker controls the tab, then decrypts the stream into a file through the File System Access API. The
 * decrypted files must equal the original.
 */
async function runCeiling(
  session: Session,
  coffer: Coffer,
  ceiling: CeilingServer,
  file: { sha256: string },
): Promise<WebRun['ceiling']> {
  const { cdp } = session;
  const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: `${ceiling.origin}/` });
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
  const page = new PageDriver(cdp, sessionId);
  // The new target starts on about:blank, which has no service worker container.
  await page.waitFor(
    `location.origin === ${JSON.stringify(ceiling.origin)} && document.readyState === 'complete'`,
    'the ceiling page to load',
  );
  await page.evaluate(`navigator.serviceWorker.ready.then(() => true)`);
  await page.reload();
  await page.waitFor(`navigator.serviceWorker.controller`, 'the ceiling page to be controlled by its service worker');
  const results: Partial<WebRun['ceiling']> = {};
  const decrypts = (name: CeilingRun) => name === 'decrypted' || name === 'fileSystemAccess';
  const measure = async (name: CeilingRun, save: () => Promise<void>) => {
    const sampler = new ProcessSampler(coffer.pid);
    sampler.start();
    const started = performance.now();
    await save();
    const seconds = (performance.now() - started) / 1000;
    const sampling = sampler.stop();
    results[name] = { seconds, bytes: decrypts(name) ? FILE_BYTES : ceiling.streamBytes, sampling };
  };
  const check = async (name: CeilingRun, saved: string) => {
    const got = await hashFile(saved);
    await rm(saved);
    const { bytes } = results[name]!;
    if (got.bytes !== bytes || (decrypts(name) && got.sha256 !== file.sha256)) {
      throw new Error(`the ceiling's ${name} download differs: ${got.bytes} bytes, sha256 ${got.sha256}`);
    }
  };
  for (const [name, path] of Object.entries(CEILING_PATHS) as [CeilingPath, string][]) {
    let saved = '';
    await measure(name, async () => {
      const downloaded = nextDownload(cdp);
      await page.evaluate(`(() => {
        const frame = document.createElement('iframe');
        frame.hidden = true;
        frame.src = ${JSON.stringify(path)};
        document.body.append(frame);
        return true;
      })()`);
      saved = join(session.downloads, await downloaded);
    });
    await check(name, saved);
  }
  await measure('fileSystemAccess', () => page.evaluate(`${DECRYPT_INTO_FILE}()`));
  // Untimed: the finished file goes to the download manager only so that its bytes can be checked like the others'.
  const offered = nextDownload(cdp);
  await page.evaluate(`${OFFER_SAVED_FILE}()`);
  await check('fileSystemAccess', join(session.downloads, await offered));
  await cdp.send('Target.closeTarget', { targetId });
  return results as WebRun['ceiling'];
}

function runWebRound(
  scratch: string,
  file: { path: string; sha256: string },
  ceiling: CeilingServer,
  last: boolean,
): Promise<WebRun> {
  return withFreshSession(scratch, async (session, coffer) => {
    const { page } = session;
    const sampler = new ProcessSampler(coffer.pid);
    sampler.start();
    const idle = sampler.stop();
    await page.send('Performance.enable');

    const heaps = new HeapWatcher(page);
    let metrics = await page.metrics();
    await heaps.start();
    sampler.start();
    const uploadStart = performance.now();
    await page.setInputFiles('Files to upload', [file.path]);
    await page.waitForElement('h2', 'Uploads complete', 0);
    const uploadSeconds = (performance.now() - uploadStart) / 1000;
    const upload = sampler.stop();
    const uploadHeaps = await heaps.stop();
    const uploadMainThread = mainThreadSince(metrics, await page.metrics());

    await page.click('button', 'Clear finished');
    await page.click('button', `Actions for ${BIG_NAME}`);
    const menuItem = await page.locate('[popover]:popover-open button', 'Download');
    metrics = await page.metrics();
    await heaps.start();
    sampler.start();
    const downloadStart = performance.now();
    const downloaded = nextDownload(session.cdp);
    await page.clickAt(menuItem);
    const saved = join(session.downloads, await downloaded);
    const downloadSeconds = (performance.now() - downloadStart) / 1000;
    const downloadSampling = sampler.stop();
    const downloadHeaps = await heaps.stop();
    const downloadMainThread = mainThreadSince(metrics, await page.metrics());

    const got = await hashFile(saved);
    await rm(saved);
    if (got.bytes !== FILE_BYTES || got.sha256 !== file.sha256) {
      throw new Error(`the download differs from the original: ${got.bytes} bytes, sha256 ${got.sha256}`);
    }
    const ceilingRuns = await runCeiling(session, coffer, ceiling, file);
    const diagnosis = last && DIAGNOSE ? await diagnose(session, file, uploadSeconds * 500) : undefined;
    return {
      ceiling: ceilingRuns,
      uploadSeconds,
      downloadSeconds,
      diagnosis,
      upload,
      download: downloadSampling,
      uploadMainThread,
      downloadMainThread,
      uploadHeaps,
      downloadHeaps,
      idle,
    };
  });
}

// ---- The folder of 10,000 files ----------------------------------------------------------------------------------

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

interface ProfileLine {
  ms: number;
  what: string;
}

/** Self time per function of a CPU profile, largest first; minified names come with the code they point at. */
function summarizeProfile(profiles: CpuProfile[], count = 12): { totalMs: number; top: ProfileLine[] } {
  const self = new Map<string, number>();
  let totalMs = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const frame = byId.get(samples[i]!)!.callFrame;
      if (frame.functionName === '(idle)') continue;
      const ms = (deltas[i + 1] ?? 0) / 1000;
      totalMs += ms;
      let where = '';
      if (frame.url) {
        const path = new URL(frame.url).pathname;
        const source = read(join('web/build', path))?.split('\n')[frame.lineNumber] ?? '';
        const code = source.slice(frame.columnNumber, frame.columnNumber + 60).replaceAll('|', '/');
        where = ` ${basename(path)}:${frame.lineNumber + 1}:${frame.columnNumber + 1} \`${code}\``;
      }
      const key = `${frame.functionName || '(anonymous)'}${where}`;
      self.set(key, (self.get(key) ?? 0) + ms);
    }
  }
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([what, ms]) => ({ what, ms }));
  return { totalMs, top };
}

interface ListingLoad extends MainThread {
  wallMs: number;
}

interface UploadProfile {
  from: string;
  to: string;
  mainThread: MainThread;
  timeline: { taskMs: number; top: ProfileLine[] };
  summary: { totalMs: number; top: ProfileLine[] };
}

interface Listing {
  files: number;
  /** The page's main thread a minute into the folder upload. */
  uploadProfile: UploadProfile | undefined;
  setInputFilesSeconds: number;
  uploadSeconds: number;
  uploadSampling: Sampling;
  loads: ListingLoad[];
  profiled: { load: ListingLoad; profile: { totalMs: number; top: ProfileLine[] }; sampling: Sampling };
}

/**
 * From the folder's parent, already listed: clicks the folder's name and waits until its table lists every file and
 * a frame has been drawn. Main-thread time is the delta of the renderer's TaskDuration (wall time the main thread
 * spent running tasks of any kind: script, style, layout, paint, crypto callbacks, the benchmark's own polling).
 */
async function openFolder(page: PageDriver, folder: string, files: number): Promise<ListingLoad> {
  const at = await page.locate('button.name', folder);
  await page.send('Performance.enable');
  const before = await page.metrics();
  const start = performance.now();
  await page.clickAt(at);
  // Checked once per frame, on the page; then one more frame, so that the rows have been drawn.
  await page.evaluate(`new Promise((resolve) => {
    const check = () =>
      document.querySelector('table[aria-rowcount="${files + 1}"] tr[data-index="0"]')
        ? requestAnimationFrame(() => setTimeout(resolve))
        : requestAnimationFrame(check);
    check();
  })`);
  const wallMs = performance.now() - start;
  const after = await page.metrics();
  return { ...mainThreadSince(before, after), wallMs };
}

/** A fresh page, as a user coming back: reload, unlock with the passkey, open the files, let the page settle. */
async function freshAtRoot(page: PageDriver, folder: string): Promise<void> {
  await reloadAndUnlock(page);
  await openFiles(page);
  await page.waitForElement('button.name', folder);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

async function runListing(scratch: string): Promise<Listing> {
  const folder = `bench-${LISTING_FILES}-files`;
  const dir = join(scratch, 'listing', folder);
  await mkdir(dir, { recursive: true });
  const digits = String(LISTING_FILES).length;
  for (let i = 1; i <= LISTING_FILES; i++) {
    await writeFile(join(dir, `file-${String(i).padStart(digits, '0')}.txt`), String(i % 10));
  }
  return withFreshSession(scratch, async (session, coffer) => {
    const { page } = session;
    const sampler = new ProcessSampler(coffer.pid);
    sampler.start();
    const start = performance.now();
    await page.setInputFiles('Folder to upload', [dir]);
    const setInputFilesSeconds = (performance.now() - start) / 1000;
    console.log(`  ${LISTING_FILES} files handed to the input in ${setInputFilesSeconds.toFixed(1)} s; uploading...`);
    const heading = () =>
      page.evaluate<string>(`document.querySelector('section[aria-label="Uploads"] h2')?.textContent?.trim() ?? ''`);
    const progress = setInterval(() => {
      void heading().then((text) => console.log(`  ${((performance.now() - start) / 1000).toFixed(0)} s: ${text}`));
    }, 60_000);
    // The page's main thread during the upload: a CPU profile of a window a minute in.
    let finished = false;
    const uploadProfile = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      if (finished) return undefined;
      const from = await heading();
      await page.send('Performance.enable');
      const before = await page.metrics();
      await page.send('Profiler.enable');
      await page.send('Profiler.start');
      await new Promise((resolve) => setTimeout(resolve, UPLOAD_PROFILE_MS));
      const { profile } = await page.send<{ profile: CpuProfile }>('Profiler.stop');
      await page.send('Profiler.disable');
      const mainThread = mainThreadSince(before, await page.metrics());
      const timeline = await traceMainThread(page.cdp, UPLOAD_TRACE_MS);
      if (PROFILE_DIR) {
        await mkdir(PROFILE_DIR, { recursive: true });
        await writeFile(join(PROFILE_DIR, 'folder-upload-page.cpuprofile'), JSON.stringify(profile));
      }
      return { from, to: await heading(), mainThread, timeline, summary: summarizeProfile([profile], 15) };
    })();
    await page.waitForElement('h2', 'Uploads complete', 0).finally(() => clearInterval(progress));
    finished = true;
    const uploadSeconds = (performance.now() - start) / 1000;
    // Before the reloads below: a window that outlasted the upload ends on an idle page.
    const profiledUpload = await uploadProfile.catch(() => undefined);
    const uploadSampling = sampler.stop();
    console.log(`  uploaded in ${uploadSeconds.toFixed(0)} s`);
    await page.click('button', 'Clear finished');

    const loads: ListingLoad[] = [];
    for (let i = 0; i < LISTING_LOADS; i++) {
      await freshAtRoot(page, folder);
      loads.push(await openFolder(page, folder, LISTING_FILES));
      console.log(`  listing ${i + 1}: ${loads.at(-1)!.taskMs.toFixed(0)} ms main thread`);
    }

    // One more load under the CPU profiler and the sampler, for where the time goes (slower for being observed).
    await freshAtRoot(page, folder);
    await page.send('Profiler.enable');
    await page.send('Profiler.setSamplingInterval', { interval: 250 });
    await page.send('Profiler.start');
    sampler.start();
    const load = await openFolder(page, folder, LISTING_FILES);
    const sampling = sampler.stop();
    const { profile } = await page.send<{ profile: CpuProfile }>('Profiler.stop');
    if (PROFILE_DIR) {
      await mkdir(PROFILE_DIR, { recursive: true });
      await writeFile(join(PROFILE_DIR, 'listing.cpuprofile'), JSON.stringify(profile));
    }
    return {
      files: LISTING_FILES,
      uploadProfile: profiledUpload,
      setInputFilesSeconds,
      uploadSeconds,
      uploadSampling,
      loads,
      profiled: { load, profile: summarizeProfile([profile]), sampling },
    };
  });
}

// ---- The run -----------------------------------------------------------------------------------------------------

for (const built of ['dist/main.js', 'web/build/index.html']) {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
}
const wants = (part: string) => !ONLY || ONLY.includes(part);
const scratch = await mkdtemp(join(tmpdir(), 'coffer-bench-web-'));
const baselines: Transfer[] = [];
const runs: WebRun[] = [];
let listing: Listing | undefined;
try {
  if (wants('transfer')) {
    const path = join(scratch, BIG_NAME);
    const sha256 = writeRandomFile(path, FILE_BYTES);
    const encryptedPath = join(scratch, CEILING_STREAM);
    const ceiling = await startCeilingServer(encryptedPath, await encryptForCeiling(path, encryptedPath), FILE_BYTES);
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        // As in bench/server.ts: no dirty pages left for the kernel to flush during the next run.
        execFileSync('sync');
        baselines.push(await runBaseline(await mkdtemp(join(scratch, 'baseline-')), { syncBeforeDownload: true }));
        execFileSync('sync');
        const run = await runWebRound(scratch, { path, sha256 }, ceiling, round === ROUNDS);
        runs.push(run);
        console.log(
          `round ${round}: baseline up ${baselines.at(-1)!.uploadSeconds.toFixed(2)} s, down ` +
            `${baselines.at(-1)!.downloadSeconds.toFixed(2)} s; web app up ${run.uploadSeconds.toFixed(2)} s ` +
            `(peak PSS ${run.upload.peakPssMB?.toFixed(0)} MB), down ${run.downloadSeconds.toFixed(2)} s ` +
            `(peak PSS ${run.download.peakPssMB?.toFixed(0)} MB)`,
        );
        for (const entry of await readdir(scratch)) {
          if (entry !== BIG_NAME && entry !== CEILING_STREAM)
            await rm(join(scratch, entry), { recursive: true, force: true });
        }
      }
    } finally {
      await ceiling.close();
    }
  }
  if (wants('listing')) {
    console.log(`listing: uploading a folder of ${LISTING_FILES} files through the UI`);
    listing = await runListing(scratch);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

// ---- The report --------------------------------------------------------------------------------------------------

const rate = (bytes: number, seconds: number) => bytes / MB / seconds;
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');
/** CPU seconds of the threads whose "process: thread" name passes `matches`. */
const cpuOf = (sampling: Sampling, matches: (name: string) => boolean) =>
  sampling.cpu.filter(([name]) => matches(name)).reduce((sum, [, seconds]) => sum + seconds, 0);
const cofferCpu = (sampling: Sampling) => cpuOf(sampling, (name) => name.startsWith('Coffer server:'));
const cpuList = (sampling: Sampling, count: number) =>
  sampling.cpu
    .slice(0, count)
    .map(([name, cpu]) => `${name} ${fmt(cpu, 1)}`)
    .join('; ');
const lines: string[] = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${chromiumVersion}. Coffer on ` +
    `${DATABASE === 'postgres' ? 'the local Postgres (BENCH_DATABASE=postgres)' : 'PGlite (the embedded default)'} ` +
    'and the fs blob store. MB = 10^6 bytes. ' +
    (PLAYWRIGHT_ATTACHED
      ? 'Playwright stayed connected during the measurements (BENCH_PLAYWRIGHT=attached).'
      : 'Measured with no Playwright connected: the page driven over a CDP pipe that does not watch the network.'),
];
if (runs.length > 0) {
  const baselineBytes = CHUNKS * T;
  const upRatios = runs.map(
    (run, i) => rate(FILE_BYTES, run.uploadSeconds) / rate(baselineBytes, baselines[i]!.uploadSeconds),
  );
  const downRatios = runs.map(
    (run, i) => rate(FILE_BYTES, run.downloadSeconds) / rate(baselineBytes, baselines[i]!.downloadSeconds),
  );
  const highest = (pick: (run: WebRun) => number | null) => {
    const values = runs.map(pick);
    return values.some((value) => value === null) ? null : Math.max(...(values as number[]));
  };
  const upPss = highest((run) => run.upload.peakPssMB);
  const downPss = highest((run) => run.download.peakPssMB);
  const upApp = highest((run) => run.upload.peakAppPssMB);
  const downApp = highest((run) => run.download.peakAppPssMB);
  const idlePss = highest((run) => run.idle.peakPssMB);
  const upRss = highest((run) => run.upload.peakRssMB)!;
  const downRss = highest((run) => run.download.peakRssMB)!;
  lines.push(
    '',
    `${(FILE_BYTES / MiB).toFixed(0)} MiB of random bytes, ${runs.length} rounds. Upload: "Files to upload" given ` +
      "the file, timed until the 'Uploads complete' heading. Download: the row's Download, timed from the click " +
      'until Chromium reports the download complete (the service worker decrypts it as it streams); its SHA-256 is ' +
      'checked against the original. Baseline (the ratios are to this): the plain Node HTTP server of ' +
      `bench/bench-kit.ts, to which Node's fetch PUTs ${CHUNKS} chunks of ${T} bytes (8 to a request, 4 requests at ` +
      'a time) that it writes to disk, then GETs them back in one stream; one baseline per round, just before the ' +
      'web app, and each ratio is the median of the rounds’ ratios (MB/s of the file’s bytes over MB/s of the ' +
      "baseline's). Memory: the sum over every Chromium process of this browser, RSS every " +
      `${SAMPLE_EVERY_MS} ms and PSS (smaps_rollup, shared pages divided between their sharers) every ` +
      `${SAMPLE_EVERY_MS * FULL_EVERY} ms; the highest of the rounds.`,
    '',
    '| round | baseline up | web app up | ratio | baseline down | web app down | ratio | peak PSS up / down | ' +
      "the app's renderers | peak RSS up / down |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map((run, i) => {
      const base = baselines[i]!;
      return (
        `| ${i + 1} | ${fmt(rate(baselineBytes, base.uploadSeconds))} MB/s | ` +
        `${fmt(rate(FILE_BYTES, run.uploadSeconds))} MB/s (${fmt(run.uploadSeconds, 1)} s) | ${fmt(upRatios[i], 2)}x | ` +
        `${fmt(rate(baselineBytes, base.downloadSeconds))} MB/s | ${fmt(rate(FILE_BYTES, run.downloadSeconds))} MB/s ` +
        `(${fmt(run.downloadSeconds, 1)} s) | ${fmt(downRatios[i], 2)}x | ` +
        `${fmt(run.upload.peakPssMB)} / ${fmt(run.download.peakPssMB)} MB | ` +
        `${fmt(run.upload.peakAppPssMB)} / ${fmt(run.download.peakAppPssMB)} MB | ` +
        `${fmt(run.upload.peakRssMB)} / ${fmt(run.download.peakRssMB)} MB |`
      );
    }),
    '',
    '| goal | measured | met? |',
    '| --- | --- | --- |',
    `| upload through the UI at least ${GOALS.ratio}x the baseline | ${fmt(median(upRatios), 2)}x (median) | ` +
      `${met(median(upRatios) >= GOALS.ratio)} |`,
    `| download through the UI at least ${GOALS.ratio}x the baseline | ${fmt(median(downRatios), 2)}x (median) | ` +
      `${met(median(downRatios) >= GOALS.ratio)} |`,
    `| peak browser memory under ${GOALS.memoryMB} MB, upload: all of Chromium | PSS ${fmt(upPss)} MB (RSS ` +
      `${fmt(upRss)} MB; idle before it, up to ${fmt(idlePss)} MB) | ${met((upPss ?? upRss) < GOALS.memoryMB)} |`,
    `| the same, download: all of Chromium | PSS ${fmt(downPss)} MB (RSS ${fmt(downRss)} MB) | ` +
      `${met((downPss ?? downRss) < GOALS.memoryMB)} |`,
    `| the same, upload: the app's renderers (page, its workers, service worker) | PSS ${fmt(upApp)} MB | ` +
      `${met(upApp !== null && upApp < GOALS.memoryMB)} |`,
    `| the same, download: the app's renderers | PSS ${fmt(downApp)} MB | ` +
      `${met(downApp !== null && downApp < GOALS.memoryMB)} |`,
  );
  /** One clause per round, "round N, ...", joined. */
  const byRound = (describe: (run: WebRun) => string) =>
    runs.map((run, i) => `round ${i + 1}, ${describe(run)}`).join('; ');
  const serviceWorkerCpu = (sampling: Sampling) =>
    cpuOf(sampling, (name) => name === 'renderer (service worker): ServiceWorker t');
  const ceilingCell = (run: WebRun, name: CeilingRun) => {
    const { seconds, bytes, sampling } = run.ceiling[name];
    return `${fmt(rate(bytes, seconds))} MB/s (${fmt(seconds, 1)} s, ${fmt(sampling.cpuTotal, 1)} CPU-s)`;
  };
  const ofPassedOn = runs.map(
    (run) => rate(FILE_BYTES, run.downloadSeconds) / rate(run.ceiling.passedOn.bytes, run.ceiling.passedOn.seconds),
  );
  lines.push(
    '',
    "Chromium's own download path, without Coffer (bench/service-worker-ceiling.ts), in the same browser after the " +
      "web app's download: a plain Node server sends the same encrypted stream from the page cache, and it is " +
      "downloaded through a bare service worker that decrypts it with the web app's decryptByteStream, through one " +
      'that passes it on as the network gives it, and straight from the server to the download manager; and ' +
      'decrypted by a dedicated worker into a file through the File System Access API (a file of the ' +
      'origin-private file system: headless Chromium cannot answer a save dialog). In brackets: the time, and the ' +
      'CPU time of every Chromium process and the Coffer server (idle here).',
    '',
    '| round | web app down | through a service worker, decrypted | passed on, not decrypted | straight to disk | ' +
      'File System Access, decrypted | service worker thread: web app / decrypted / passed on |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(
      (run, i) =>
        `| ${i + 1} | ${fmt(rate(FILE_BYTES, run.downloadSeconds))} MB/s (${fmt(run.downloadSeconds, 1)} s, ` +
        `${fmt(run.download.cpuTotal, 1)} CPU-s) | ${ceilingCell(run, 'decrypted')} | ` +
        `${ceilingCell(run, 'passedOn')} | ${ceilingCell(run, 'direct')} | ${ceilingCell(run, 'fileSystemAccess')} | ` +
        `${fmt(serviceWorkerCpu(run.download), 1)} / ${fmt(serviceWorkerCpu(run.ceiling.decrypted.sampling), 1)} / ` +
        `${fmt(serviceWorkerCpu(run.ceiling.passedOn.sampling), 1)} s |`,
    ),
    '',
    `The web app's download against the service worker that only passes the stream on: ` +
      `${ofPassedOn.map((ratio) => `${fmt(ratio, 2)}x`).join(', ')} (median ${fmt(median(ofPassedOn), 2)}x); ` +
      `that worker against the baseline's download: ` +
      runs
        .map(
          (run, i) =>
            `${fmt(rate(run.ceiling.passedOn.bytes, run.ceiling.passedOn.seconds) / rate(baselineBytes, baselines[i]!.downloadSeconds), 2)}x`,
        )
        .join(', ') +
      '.',
    '',
    "The app's renderers at their peak, MB of PSS: " +
      byRound(
        (run) => `up ${run.upload.peakAppBreakdown || 'not read'}; down ${run.download.peakAppBreakdown || 'not read'}`,
      ) +
      '.',
    '',
    "The Coffer server's CPU time (all its threads) during the web app's upload and download: " +
      byRound((run) => `${fmt(cofferCpu(run.upload), 1)} s up and ${fmt(cofferCpu(run.download), 1)} s down`) +
      '.',
    '',
    "The page's main thread, busy during the upload and the download (script in brackets): " +
      byRound(
        ({ uploadMainThread: up, downloadMainThread: down }) =>
          `${fmt(up.taskMs)} ms (${fmt(up.scriptMs)}) up and ${fmt(down.taskMs)} ms (${fmt(down.scriptMs)}) down`,
      ) +
      '.',
  );
  const last = runs.at(-1)!;
  const where = (title: string, sampling: Sampling, seconds: number, main: MainThread, heaps: string) =>
    `${title} (last round): ${fmt(sampling.cpuTotal, 1)} CPU seconds in ${fmt(seconds, 1)} s (two cores give ` +
    `${fmt(2 * seconds, 1)}); the page's main thread was busy ${fmt(main.taskMs)} ms. By thread: ` +
    `${cpuList(sampling, 10)}. PSS at the peak, MB: ${sampling.peakBreakdown}. JavaScript heaps at their ` +
    `highest, MB of V8 heap + ArrayBuffers: ${heaps}. (Sampler: ` +
    `${fmt(sampling.costMsPerSecond)} ms of reading /proc per second.)`;
  lines.push(
    '',
    where('Upload', last.upload, last.uploadSeconds, last.uploadMainThread, last.uploadHeaps),
    '',
    where('Download', last.download, last.downloadSeconds, last.downloadMainThread, last.downloadHeaps),
    '',
    ...diagnosisLines(last.diagnosis),
    '',
    `The browser idle after unlocking, before the upload: PSS ${runs.map((run) => fmt(run.idle.peakPssMB)).join(', ')} ` +
      `MB (${last.idle.peakBreakdown}).`,
  );
}
function diagnosisLines(diagnosis: Diagnosis | undefined): string[] {
  if (!diagnosis) return [];
  const dump = (title: string, found: MemoryDump | null) =>
    found
      ? [
          '',
          `${title}: the memory-infra dump with the highest total private footprint, ${fmt(found.totalMB)} MB ` +
            '(processes above 20 MB; allocators of 3 MB and more, MB):',
          '',
          ...found.processes.map((line) => `- ${line}`),
        ]
      : [];
  const profile = (title: string, summary: { totalMs: number; top: ProfileLine[] }) => [
    '',
    `${title} (${fmt(summary.totalMs)} ms of samples not idle), self time by function:`,
    '',
    '| self time | function (minified name, file:line:column, the code there) |',
    '| --- | --- |',
    ...summary.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
  ];
  return [
    '',
    `Diagnostic pass (last round, not in the results above): the same upload and download again under Chromium's ` +
      `memory-infra dumps (every second) and V8's CPU profiler: upload ${fmt(diagnosis.uploadSeconds, 1)} s, ` +
      `download ${fmt(diagnosis.downloadSeconds, 1)} s.`,
    ...dump('Upload', diagnosis.upload),
    '',
    `Right after the upload (its workers have ended): ${diagnosis.afterUpload}.`,
    ...dump('Download', diagnosis.download),
    '',
    `Right after the download: ${diagnosis.afterDownload}.`,
    ...profile(
      `The upload workers' first ${fmt(diagnosis.workerProfileSeconds, 1)} s, both workers together`,
      diagnosis.workerProfile,
    ),
    ...profile('The service worker during the download', diagnosis.serviceWorkerProfile),
  ];
}

if (listing) {
  const task = median(listing.loads.map((load) => load.taskMs));
  const pick = listing.loads.find((load) => load.taskMs === task)!;
  const { load, profile, sampling } = listing.profiled;
  lines.push(
    '',
    `A folder of ${listing.files} one-byte files through "Folder to upload": the input took ` +
      `${fmt(listing.setInputFilesSeconds, 1)} s to receive them, the upload ${fmt(listing.uploadSeconds)} s ` +
      `(${fmt(listing.files / listing.uploadSeconds, 1)} files/s; ${fmt(listing.uploadSampling.cpuTotal)} CPU ` +
      `seconds, of which ${cpuList(listing.uploadSampling, 6)}; peak PSS ${fmt(listing.uploadSampling.peakPssMB)} ` +
      `MB). Then ${LISTING_LOADS} times: reload, unlock, open My files, wait 1 s, click the folder's name, and wait ` +
      'until its table counts every file and shows its first row, plus one frame. Main-thread time is the change ' +
      "in the renderer's TaskDuration (CDP Performance.getMetrics: time the page's main thread spent running " +
      'tasks of any kind: script, style, layout, paint, promise callbacks of WebCrypto), with its ScriptDuration, ' +
      'LayoutDuration and RecalcStyleDuration parts.',
    '',
    '| load | main thread | script | layout | style | wall time | JS heap after |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...listing.loads.map(
      (one, i) =>
        `| ${i + 1} | ${fmt(one.taskMs)} ms | ${fmt(one.scriptMs)} ms | ${fmt(one.layoutMs)} ms | ` +
        `${fmt(one.styleMs)} ms | ${fmt(one.wallMs)} ms | ${fmt(one.heapMB)} MB |`,
    ),
    '',
    '| goal | measured | met? |',
    '| --- | --- | --- |',
    `| a folder of ${listing.files} files rendered in under 1 s of main-thread time | ${fmt(task)} ms (median; ` +
      `wall ${fmt(pick.wallMs)} ms) | ${met(task < GOALS.listingMs)} |`,
    '',
    `Where the listing's time goes: one more load under the CPU profiler (${fmt(load.taskMs)} ms of main thread, ` +
      `${fmt(load.wallMs)} ms wall, ${fmt(profile.totalMs)} ms of profile samples not idle; CPU by thread: ` +
      `${cpuList(sampling, 6)}). Self time by function:`,
    '',
    '| self time | function (minified name, file:line:column, the code there) |',
    '| --- | --- |',
    ...profile.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
    ...(listing.uploadProfile
      ? [
          '',
          `The page's main thread during that upload, under the CPU profiler for ${UPLOAD_PROFILE_MS / 1000} s ` +
            `a minute in (from "${listing.uploadProfile.from}" to "${listing.uploadProfile.to}"; ` +
            `${fmt(listing.uploadProfile.summary.totalMs)} ms of samples not idle; Performance.getMetrics over the ` +
            `window: tasks ${fmt(listing.uploadProfile.mainThread.taskMs)} ms, script ` +
            `${fmt(listing.uploadProfile.mainThread.scriptMs)} ms, layout ${fmt(listing.uploadProfile.mainThread.layoutMs)} ` +
            `ms, style ${fmt(listing.uploadProfile.mainThread.styleMs)} ms), self time by function:`,
          '',
          '| self time | function (minified name, file:line:column, the code there) |',
          '| --- | --- |',
          ...listing.uploadProfile.summary.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
          '',
          `Then ${UPLOAD_TRACE_MS / 1000} s of timeline trace (categories toplevel, devtools.timeline, blink, cc) of ` +
            `the page's main thread: busy ${fmt(listing.uploadProfile.timeline.taskMs)} ms; time inside each kind ` +
            'of event (minus the events nested in it):',
          '',
          '| self time | trace event |',
          '| --- | --- |',
          ...listing.uploadProfile.timeline.top.map((line) => `| ${fmt(line.ms)} ms | ${line.what} |`),
        ]
      : []),
  );
}
console.log(lines.join('\n'));
