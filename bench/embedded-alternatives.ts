/**
 * The embedded database's alternatives, side by side in one run, measured as bench/start.ts and bench/server.ts
 * measure the default: the compiled server as `npm start` runs it, on an empty DATA_DIR.
 * - `pglite`: today's default, PGlite in the server's process.
 * - `postgres child`: a real Postgres 15 started beside the server as an embedded-Postgres package would run it
 *   (bench/postgres-child.ts), the server pointed at it with DATABASE_URL. Its initdb is reported on its own: a
 *   one-time cost, as PGlite's template is made once by the build.
 * Every scenario counts every process: the server and, for the child, the postmaster and all its processes, as the
 * sum of their RSS, the sum of their PSS and the distinct pages they hold (bench/process-memory.ts says why three).
 * Then PGlite's heap in a worker thread: a bare Node process opens PGlite from the build's template and runs one
 * query, in the main thread or in a worker, against the same process with nothing opened.
 * Settings: BENCH_ROUNDS (3), BENCH_MIB (1024), BENCH_ONLY=start,transfer,worker. Run with
 * `npm run bench:embedded` (it builds first).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGLITE_SETTINGS } from '../server/db/database.ts';
import { PGLITE_TEMPLATE } from '../server/paths.ts';
import { waitForListening } from '../tools/harness/server-process.ts';
import { ROUNDS, spawnCoffer, START_ARGUMENTS, TOTAL } from './bench-kit.ts';
import { runCoffer } from './coffer-transfer.ts';
import { MemoryWatch, type MemoryFigures } from './process-memory.ts';
import { initCluster, letPostgresIn, startCluster, type RunningCluster } from './postgres-child.ts';

/** As bench/start.ts: long enough for the start's garbage to be collected and the heap to settle. */
const IDLE_MS = 10_000;
const ONLY = process.env.BENCH_ONLY?.toLowerCase().split(',');
const runs = (part: string) => !ONLY || ONLY.includes(part);

type Option = 'pglite' | 'postgres child';

interface StartRun {
  initdb?: { seconds: number; memory: MemoryFigures } | undefined;
  secondsToPage: number;
  firstStart: MemoryFigures;
  idle: MemoryFigures;
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** The database `option` needs beside the server, started: its environment for Coffer and its processes. */
async function startDatabase(
  option: Option,
  dataDir: string,
  roots: number[],
): Promise<{ env: Record<string, string>; cluster?: RunningCluster }> {
  if (option === 'pglite') return { env: {} };
  const cluster = await startCluster(join(dataDir, 'postgres'), (child) => roots.push(child.pid!));
  return { env: { DATABASE_URL: cluster.url }, cluster };
}

async function measureStart(option: Option): Promise<StartRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'coffer-alt-'));
  try {
    let initdb: StartRun['initdb'];
    if (option === 'postgres child') {
      await letPostgresIn(dataDir);
      const roots: number[] = [];
      const watch = new MemoryWatch(() => roots);
      const began = performance.now();
      await initCluster(join(dataDir, 'postgres'), (child) => roots.push(child.pid!));
      initdb = { seconds: (performance.now() - began) / 1000, memory: watch.stop() };
    }

    const roots: number[] = [];
    const firstWatch = new MemoryWatch(() => roots);
    const started = performance.now();
    const first = await startDatabase(option, dataDir, roots);
    const server = spawnCoffer({ ...first.env, PORT: '0', DATA_DIR: dataDir });
    roots.push(server.pid!);
    const base = await waitForListening(server);
    const page = await fetch(base);
    await page.text();
    if (!page.ok) throw new Error(`GET / answered ${page.status}`);
    const secondsToPage = (performance.now() - started) / 1000;
    const firstStart = firstWatch.stop();
    await stop(server);
    await first.cluster?.stop();

    const again: number[] = [];
    const restarted = await startDatabase(option, dataDir, again);
    const idleServer = spawnCoffer({ ...restarted.env, PORT: '0', DATA_DIR: dataDir });
    again.push(idleServer.pid!);
    await waitForListening(idleServer);
    await sleep(IDLE_MS);
    const idleWatch = new MemoryWatch(() => again);
    const idle = idleWatch.stop();
    await stop(idleServer);
    await restarted.cluster?.stop();
    return { initdb, secondsToPage, firstStart, idle };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** bench/server.ts's transfer on an empty DATA_DIR (and, for the child, a new cluster made before the clock). */
async function measureTransfer(option: Option): Promise<MemoryFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'coffer-alt-'));
  try {
    if (option === 'postgres child') {
      await letPostgresIn(dataDir);
      await initCluster(join(dataDir, 'postgres'));
    }
    const roots: number[] = [];
    const watch = new MemoryWatch(() => roots);
    const database = await startDatabase(option, dataDir, roots);
    try {
      await runCoffer(dataDir, database.env, (child) => roots.push(child.pid!));
    } finally {
      await database.cluster?.stop();
    }
    return watch.stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

type ProbeMode = 'nothing' | 'main thread' | 'worker thread';

/**
 * A bare Node process (with `npm start`'s node flags) that opens PGlite as the server opens a new DATA_DIR (from the
 * template, with the server's settings) and runs one query, in its main thread or in a worker, then prints its RSS.
 */
async function probePglite(mode: ProbeMode): Promise<{ rssMiB: number; peakRssMiB: number; pssMiB: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-probe-'));
  const open = `
    const { readFileSync } = await import('node:fs');
    const { PGlite } = await import(${JSON.stringify(import.meta.resolve('@electric-sql/pglite'))});
    const db = new PGlite(${JSON.stringify(join(dir, 'pglite'))}, {
      loadDataDir: new Blob([readFileSync(${JSON.stringify(PGLITE_TEMPLATE)})]),
      startParams: [...PGlite.defaultStartParams, ...${JSON.stringify(PGLITE_SETTINGS)}],
    });
    await db.query('select 1');`;
  const report = `
    const { readFileSync: readStatus } = await import('node:fs');
    const field = (name) => Number(new RegExp(name + ':\\\\s+(\\\\d+)').exec(readStatus('/proc/self/status', 'utf8'))[1]) / 1024;
    console.log(JSON.stringify({ rssMiB: field('VmRSS'), peakRssMiB: field('VmHWM') }));
    setTimeout(() => process.exit(0), 3000);`;
  const code = {
    nothing: report,
    'main thread': open + report,
    'worker thread': `
      const { Worker } = await import('node:worker_threads');
      const worker = new Worker(${JSON.stringify(`${open}
(await import('node:worker_threads')).parentPort.postMessage('ready');`)}, { eval: true });
      await new Promise((resolve) => worker.once('message', resolve));
      ${report}`,
  }[mode];
  try {
    const child = spawn(process.execPath, [...START_ARGUMENTS.slice(0, -1), '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const figures = JSON.parse(line.toString()) as { rssMiB: number; peakRssMiB: number };
    const pssMiB = new MemoryWatch(() => [child.pid!]).stop().pssMiB;
    await once(child, 'exit');
    return { ...figures, pssMiB };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const range = (values: number[], digits = 0) => {
  const low = Math.min(...values).toFixed(digits);
  const high = Math.max(...values).toFixed(digits);
  return low === high ? low : `${low}-${high}`;
};

execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
const options: Option[] = ['pglite', 'postgres child'];
const starts = new Map<Option, StartRun[]>(options.map((option) => [option, []]));
const transfers = new Map<Option, MemoryFigures[]>(options.map((option) => [option, []]));
const probes = new Map<ProbeMode, Awaited<ReturnType<typeof probePglite>>[]>();
// Rounds alternate the options, so that a busy spell of the machine falls on both.
for (let round = 0; round < ROUNDS; round++) {
  for (const option of options) {
    if (runs('start')) starts.get(option)!.push(await measureStart(option));
    if (runs('transfer')) {
      execFileSync('sync');
      transfers.get(option)!.push(await measureTransfer(option));
    }
  }
  if (runs('worker')) {
    for (const mode of ['nothing', 'main thread', 'worker thread'] as const) {
      probes.set(mode, [...(probes.get(mode) ?? []), await probePglite(mode)]);
    }
  }
}

const lines = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ` +
    `Node ${process.version}, ${ROUNDS} rounds (lowest to highest). Every process counts. RSS: the sum of each ` +
    "process's peak (VmHWM), or of its RSS when idle (counts shared pages once per process: too much); PSS: the " +
    'sum of their PSS (shares pages with processes outside the group: too little); distinct: the pages the group ' +
    'holds, each once (pagemap; peaks sampled every second).',
  '',
  '| scenario | PGlite in process: RSS | PSS | distinct | Postgres child: RSS | PSS | distinct |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
type Columns = { rss: number[]; pss: number[]; unique: number[] };
const row = (name: string, pick: (option: Option) => Columns) => {
  const cells = options.flatMap((option) => {
    const { rss, pss, unique } = pick(option);
    return [rss, pss, unique].map((values) => (values.length > 0 ? `${range(values)} MiB` : '-'));
  });
  lines.push(`| ${name} | ${cells.join(' | ')} |`);
};
const peaks = (figures: MemoryFigures[]): Columns => ({
  rss: figures.map((f) => f.peakRssMiB),
  pss: figures.map((f) => f.peakPssMiB),
  unique: figures.map((f) => f.peakUniqueMiB),
});
if (runs('start')) {
  const of = (option: Option) => starts.get(option)!;
  const initdb = of('postgres child').map((run) => run.initdb!);
  row(
    `initdb, once (${range(
      initdb.map((run) => run.seconds),
      1,
    )} s), peak`,
    (option) => (option === 'pglite' ? { rss: [], pss: [], unique: [] } : peaks(initdb.map((run) => run.memory))),
  );
  row('first start on an empty DATA_DIR, peak', (option) => peaks(of(option).map((run) => run.firstStart)));
  row(`restarted, idle ${IDLE_MS / 1000} s`, (option) => ({
    rss: of(option).map((run) => run.idle.rssMiB),
    pss: of(option).map((run) => run.idle.pssMiB),
    unique: of(option).map((run) => run.idle.uniqueMiB),
  }));
  const times = (option: Option) =>
    range(
      of(option).map((run) => run.secondsToPage),
      1,
    );
  const processes = (option: Option) => range(of(option).map((run) => run.idle.processes));
  lines.push(
    `| spawned to a served page | ${times('pglite')} s | | | ${times('postgres child')} s | | |`,
    `| processes when idle | ${processes('pglite')} | | | ${processes('postgres child')} | | |`,
  );
}
if (runs('transfer')) {
  row(`moving ${TOTAL / 2 ** 30} GiB up and down, peak`, (option) => peaks(transfers.get(option)!));
}
if (runs('worker')) {
  lines.push(
    '',
    'PGlite opened from the template with one query, in a bare Node process:',
    '',
    '| where | RSS | peak RSS | PSS |',
    '| --- | --- | --- | --- |',
    ...[...probes].map(
      ([mode, figures]) =>
        `| ${mode === 'nothing' ? 'nothing opened' : mode} | ${range(figures.map((f) => f.rssMiB))} MiB | ` +
        `${range(figures.map((f) => f.peakRssMiB))} MiB | ${range(figures.map((f) => f.pssMiB))} MiB |`,
    ),
  );
}
console.log(lines.join('\n'));
