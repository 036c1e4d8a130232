/**
 * `npm run bench:load`: many signed-in clients at once against two Coffer processes sharing one Postgres database
 * and one fs blob store, each client in a closed loop of list a folder, upload a small file, download a file and
 * check its bytes (bench/load/client-loop.ts). The ceiling, in the same run: the same loop against two bare
 * node:http processes that answer the same bytes without a framework, a database or a disk
 * (bench/load/bare-server.ts). The load generator is this process, on the same two cores as the servers and
 * Postgres. No load balancer is installed: clients are spread round-robin over the two processes.
 * Settings: BENCH_CLIENTS (200), BENCH_SECONDS (60), BENCH_ROUNDS (1; each round runs the ceiling, then Coffer),
 * BENCH_FILE_BYTES (4096, plaintext), BENCH_SEED_FILES (20, in each listed folder), BENCH_POOL (files encrypted per
 * client before the timed phases), BENCH_PROFILE (a directory for the Coffer processes' CPU profiles).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase } from '../tools/harness/test-databases.ts';
import { waitForListening } from '../tools/harness/server-process.ts';
import { spawnCoffer } from './bench-kit.ts';
import { signUpUser, type BenchUser } from './load/accounts.ts';
import { Recorder, runClient, type LoopClient } from './load/client-loop.ts';
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
const CEILING = 'bare node:http, 2 processes (ceiling)';
const COFFER = 'Coffer, 2 processes, Postgres, fs store';
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

function startBareServer(listingPath: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bench/load/bare-server.ts', listingPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function runPhase(
  target: string,
  servers: ChildProcess[],
  clients: LoopClient[],
  recorder: Recorder,
): Promise<Phase> {
  const cpuBefore = process.cpuUsage();
  const serversBefore = servers.map((server) => processCpuSeconds(server.pid!));
  const postgresBefore = postgresCpuSeconds(databaseName);
  const start = performance.now();
  await Promise.all(clients.map((client) => runClient(client, start + SECONDS * 1000, recorder)));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    target,
    seconds,
    recorder,
    cpu: {
      loadGenerator: (cpu.user + cpu.system) / 1e6,
      servers: servers.map((server, i) => processCpuSeconds(server.pid!) - serversBefore[i]!),
      postgres: postgresCpuSeconds(databaseName) - postgresBefore,
    },
  };
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
    const bare: ChildProcess[] = [];
    try {
      const bareConnections = connect(await startAll(() => startBareServer(listingPath), bare));
      const recorder = new Recorder();
      // The ceiling sends the pool's files round and round: the bare server keeps no ids.
      const clients = bareConnections.map((connection, i) => {
        let next = 0;
        const pool = pools[i]!;
        return {
          connection,
          rootId: users[i]!.rootId,
          listedCount,
          nextFile: async () => pool[next++ % pool.length]!,
        };
      });
      console.error(`round ${round}: the ceiling, ${SECONDS} s...`);
      phases.push(await runPhase(CEILING, bare, clients, recorder));
      for (const connection of bareConnections) connection.close();
    } finally {
      await Promise.all(bare.map(stop));
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
    phases.push(await runPhase(COFFER, coffers, clients, recorder));
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
    CEILING,
  ),
);
