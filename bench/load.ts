/**
 * `npm run bench:load`: many signed-in clients at once against two Coffer processes sharing one Postgres database
 * and one fs blob store, each client in a closed loop of list a folder, upload a small file, download a file and
 * check its bytes (bench/load/client-loop.ts). The ceilings, in the same run and just before Coffer in each round,
 * chosen by BENCH_LOAD_CEILINGS (a comma-separated list; default "bare,postgres"):
 * - bare: the same loop against two bare node:http processes that answer the same bytes without a framework, a
 *   database or a disk (bench/load/bare-server.ts);
 * - postgres: two node:http processes without a framework or an ORM that do per request the database and disk work
 *   Coffer does for it, the same statements on a copy of Coffer's database (bench/load/postgres-server.ts), but not
 *   the rate limits' two upserts;
 * - postgres-rate-limits: the same with the rate limits' two upserts per request, as Coffer counts them.
 * The load generator is this process, on the same two cores as the servers and Postgres. No load balancer is
 * installed: clients are spread round-robin over the two processes.
 * Settings: BENCH_CLIENTS (200), BENCH_SECONDS (60), BENCH_ROUNDS (1; each round runs the ceilings, then Coffer),
 * BENCH_FILE_BYTES (4096, plaintext), BENCH_SEED_FILES (20, in each listed folder), BENCH_POOL (files encrypted per
 * client before the timed phases), BENCH_PROFILE (a directory for the Coffer processes' CPU profiles).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../server/db/database.ts';
import { createPostgresDatabase } from '../tools/harness/test-databases.ts';
import { waitForListening } from '../tools/harness/server-process.ts';
import { spawnCoffer } from './bench-kit.ts';
import { signUpUser, type BenchUser } from './load/accounts.ts';
import { Recorder, runClient, type LoopClient } from './load/client-loop.ts';
import { copyRows } from './load/copy-rows.ts';
import { postgresCpuSeconds, processCpuSeconds } from './load/cpu-time.ts';
import { encryptSmallFile, type PooledFile } from './load/file-pool.ts';
import { ClientConnection, loopbackAddress } from './load/http-client.ts';
import { report, type Phase } from './load/report.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const FILE_BYTES = Number(process.env.BENCH_FILE_BYTES ?? 4096);
const SEED_FILES = Number(process.env.BENCH_SEED_FILES ?? 20);
const POOL = Number(process.env.BENCH_POOL ?? 60);
const ORIGIN = 'http://coffer.bench';
const COFFER = 'Coffer, 2 processes, Postgres, fs store';
/** Each ceiling: its row's name, its short name in the ratios, and the server it starts. */
const CEILINGS = {
  bare: { target: 'bare node:http, 2 processes (ceiling)', short: 'bare', variant: undefined },
  postgres: {
    target: 'bare node:http + Postgres + fs store, 2 processes (ceiling)',
    short: 'bare + Postgres',
    variant: 'no-rate-limits',
  },
  'postgres-rate-limits': {
    target: 'bare node:http + Postgres + fs store + rate-limit upserts, 2 processes (ceiling)',
    short: 'bare + Postgres + rate limits',
    variant: 'rate-limits',
  },
} as const;
type CeilingName = keyof typeof CEILINGS;
const CEILING_NAMES = (process.env.BENCH_LOAD_CEILINGS ?? 'bare,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '');
for (const name of CEILING_NAMES) {
  if (!(name in CEILINGS)) {
    throw new Error(
      `BENCH_LOAD_CEILINGS names "${name}"; expected a comma-separated list of ${Object.keys(CEILINGS).join(', ')}`,
    );
  }
}
/** Sign-ups at once: enough to be quick, few enough not to make the setup a load test of its own. */
const SIGN_UP_CONCURRENCY = 8;

/**
 * The rate limits are the per-account and per-address token buckets (RATE_LIMIT_PER_SECOND); this measures the
 * server's work, not its refusals, so they are set as high as the configuration allows.
 */
const COFFER_ENV = {
  REGISTRATION: 'open',
  RATE_LIMIT_PER_SECOND: '100000',
  PUBLIC_ORIGIN: ORIGIN,
  PORT: '0',
};

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function inBatches<T>(count: number, size: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += size) {
    const indexes = Array.from({ length: Math.min(size, count - start) }, (_, i) => start + i);
    results.push(...(await Promise.all(indexes.map(work))));
  }
  return results;
}

function startBenchServer(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function runPhase(
  phase: Pick<Phase, 'target' | 'ceiling' | 'round'>,
  servers: ChildProcess[],
  database: string,
  clients: LoopClient[],
  recorder: Recorder,
): Promise<Phase> {
  const cpuBefore = process.cpuUsage();
  const serversBefore = servers.map((server) => processCpuSeconds(server.pid!));
  const postgresBefore = postgresCpuSeconds(database);
  const start = performance.now();
  await Promise.all(clients.map((client) => runClient(client, start + SECONDS * 1000, recorder)));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    ...phase,
    seconds,
    recorder,
    cpu: {
      loadGenerator: (cpu.user + cpu.system) / 1e6,
      servers: servers.map((server, i) => processCpuSeconds(server.pid!) - serversBefore[i]!),
      postgres: postgresCpuSeconds(database) - postgresBefore,
    },
  };
}

/** The same file under a new id: a ceiling does not check that the header names the file, as Coffer does. */
function underNewId(file: PooledFile): PooledFile {
  const nodeId = randomUUID();
  return { ...file, nodeId, body: file.body.replace(file.nodeId, nodeId) };
}

/**
 * A ceiling with Postgres runs on a database of its own, made by the migrations Coffer runs at start and holding a
 * copy of Coffer's rows as the round begins (the users, their sessions, folders and files), with a blob store
 * directory of its own; both are removed after the phase.
 */
async function withCeilingStore<T>(work: (database: { url: string; name: string }, storeDir: string) => Promise<T>) {
  const created = await createPostgresDatabase();
  const storeDir = await mkdtemp(join(tmpdir(), 'coffer-load-ceiling-'));
  try {
    const migrated = await openDatabase({ url: created.url });
    await migrated.close();
    await copyRows(database.url, created.url);
    return await work({ url: created.url, name: new URL(created.url).pathname.slice(1) }, storeDir);
  } finally {
    await created.drop();
    await rm(storeDir, { recursive: true, force: true });
  }
}

/** Each client's connection to `bases[i % 2]`, from its own loopback address. */
const connect = (bases: URL[]) =>
  Array.from({ length: CLIENTS }, (_, i) => new ClientConnection(bases[i % bases.length]!, ORIGIN, loopbackAddress(i)));

async function startAll(start: () => ChildProcess, into: ChildProcess[]): Promise<URL[]> {
  const bases: URL[] = [];
  // One after the other: each Coffer runs the migrations at start, and the second should find them done.
  for (let i = 0; i < 2; i++) {
    const child = start();
    into.push(child);
    bases.push(new URL(await waitForListening(child)));
    child.stdout!.resume();
  }
  return bases;
}

execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
const loadAtStart = loadavg();
const database = await createPostgresDatabase();
const databaseName = new URL(database.url).pathname.slice(1);
const dataDir = await mkdtemp(join(tmpdir(), 'coffer-load-'));
const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const coffers: ChildProcess[] = [];
const phases: Phase[] = [];
try {
  const cofferConnections = connect(
    await startAll(
      () => spawnCoffer({ ...COFFER_ENV, DATABASE_URL: database.url, DATA_DIR: dataDir }, profile),
      coffers,
    ),
  );
  console.error(`signing up ${CLIENTS} users, each with a folder of ${SEED_FILES} files...`);
  const users: BenchUser[] = await inBatches(CLIENTS, SIGN_UP_CONCURRENCY, (i) =>
    signUpUser(cofferConnections[i]!, SEED_FILES, FILE_BYTES),
  );
  const listing = await cofferConnections[0]!.send('GET', `/api/nodes/${users[0]!.rootId}/children`);
  const listingPath = join(dataDir, 'listing.json');
  await writeFile(listingPath, listing.body);
  console.error(`encrypting ${POOL} files of ${FILE_BYTES} bytes for each client...`);
  const pools: PooledFile[][] = await inBatches(CLIENTS, 1, async (i) =>
    Promise.all(Array.from({ length: POOL }, () => encryptSmallFile(users[i]!.incoming, FILE_BYTES))),
  );
  const listedCount = SEED_FILES + 1;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of CEILING_NAMES as CeilingName[]) {
      const ceiling = CEILINGS[name];
      const run = async (start: () => ChildProcess, phaseDatabase: string) => {
        const servers: ChildProcess[] = [];
        try {
          const connections = connect(await startAll(start, servers));
          const recorder = new Recorder();
          // The bare server keeps no ids and takes the pool's files round and round; the servers with Postgres take
          // each once, then again under new ids rather than have the load generator encrypt more.
          const clients = connections.map((connection, i) => {
            connection.signInAs(cofferConnections[i]!);
            let next = 0;
            const pool = pools[i]!;
            return {
              connection,
              rootId: users[i]!.rootId,
              listedCount,
              nextFile: async () => {
                const firstLap = next < pool.length;
                const file = pool[next++ % pool.length]!;
                return name === 'bare' || firstLap ? file : underNewId(file);
              },
            };
          });
          console.error(`round ${round}: the ceiling ${ceiling.short}, ${SECONDS} s...`);
          phases.push(
            await runPhase(
              { target: ceiling.target, ceiling: ceiling.short, round },
              servers,
              phaseDatabase,
              clients,
              recorder,
            ),
          );
          for (const connection of connections) connection.close();
        } finally {
          await Promise.all(servers.map(stop));
        }
      };
      if (name === 'bare') {
        await run(() => startBenchServer('bench/load/bare-server.ts', [listingPath]), databaseName);
      } else {
        await withCeilingStore((copy, storeDir) =>
          run(
            () => startBenchServer('bench/load/postgres-server.ts', [copy.url, storeDir, ceiling.variant!]),
            copy.name,
          ),
        );
      }
    }
    const recorder = new Recorder();
    const clients = cofferConnections.map((connection, i) => ({
      connection,
      rootId: users[i]!.rootId,
      listedCount,
      // Each file once: its id is taken once uploaded. A client that runs out encrypts as a browser would.
      nextFile: async () => {
        const pooled = pools[i]!.pop();
        if (pooled) return pooled;
        recorder.encryptedOnDemand++;
        return encryptSmallFile(users[i]!.incoming, FILE_BYTES);
      },
    }));
    console.error(`round ${round}: Coffer, ${SECONDS} s...`);
    phases.push(await runPhase({ target: COFFER, round }, coffers, databaseName, clients, recorder));
  }
  for (const connection of cofferConnections) connection.close();
} finally {
  await Promise.all(coffers.map(stop));
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
}

const load = (figures: number[]) => figures.map((figure) => figure.toFixed(1)).join(' ');
console.log(
  report(
    `Load run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `${cpus().length} cores, Node ${process.version}; load average ${load(loadAtStart)} before the run, ` +
      `${load(loadavg())} after. ${CLIENTS} clients for ${SECONDS} s per phase, ${ROUNDS} round(s); files of ` +
      `${FILE_BYTES} bytes; each listed folder holds ${SEED_FILES} files and a folder. RATE_LIMIT_PER_SECOND=100000 ` +
      '(the limits are not what this measures). CPU seconds over the phase; Postgres is the backends serving the ' +
      "benchmark's database.",
    phases,
  ),
);
