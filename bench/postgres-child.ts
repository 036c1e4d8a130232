/**
 * A real Postgres run as a child process, the way an embedded-Postgres package runs one: a cluster made by initdb in
 * a directory of the server's, started by the server on a free loopback port with PGlite's small settings, and
 * stopped with it. Postgres refuses to run as root (and CI runs as root), so when this process is root the cluster
 * belongs to the `postgres` OS user and initdb and postgres run as that user (as embedded-postgres does). Uses the
 * installed Debian Postgres 15 binaries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { execFileSync } from 'node:child_process';
import { PGLITE_SETTINGS } from '../server/db/database.ts';

const BIN = process.env.BENCH_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
/** Coffer's Postgres pool holds up to 10 connections; a few more for autovacuum and a maintenance session. */
const SETTINGS = [...PGLITE_SETTINGS, '-c', 'max_connections=16'];

function postgresUser(): { uid: number; gid: number } | Record<string, never> {
  if (userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString());
  return { uid: id('-u'), gid: id('-g') };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Makes an empty cluster in `dir` (created); resolves when initdb is done. `onSpawn` sees initdb's process. */
export async function initCluster(dir: string, onSpawn?: (child: ChildProcess) => void): Promise<void> {
  const user = postgresUser();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ('uid' in user) await chown(dir, user.uid, user.gid);
  const child = spawn(
    `${BIN}/initdb`,
    ['--pgdata', dir, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C'],
    { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  onSpawn?.(child);
  let errors = '';
  child.stderr!.on('data', (text: Buffer) => (errors += text.toString()));
  const code = await exited(child);
  if (code !== 0) throw new Error(`initdb exited with ${code}: ${errors}`);
}

export interface RunningCluster {
  url: string;
  postmaster: ChildProcess;
  stop(): Promise<void>;
}

/** Starts Postgres on the cluster in `dir`; resolves once it accepts connections. */
export async function startCluster(dir: string, onSpawn?: (child: ChildProcess) => void): Promise<RunningCluster> {
  const port = await freePort();
  const postmaster = spawn(
    `${BIN}/postgres`,
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, ...SETTINGS],
    { ...postgresUser(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  onSpawn?.(postmaster);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    postmaster.stderr!.on('data', (text: Buffer) => {
      log += text.toString();
      if (log.includes('database system is ready to accept connections')) resolve();
    });
    postmaster.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${log}`)));
  });
  postmaster.stderr!.resume();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    postmaster,
    async stop() {
      // Fast shutdown: what a server stopping its own database would ask for.
      postmaster.kill('SIGINT');
      await exited(postmaster);
    },
  };
}

/** The server's data directory must let the `postgres` user reach the cluster inside it. */
export async function letPostgresIn(dataDir: string): Promise<void> {
  if ('uid' in postgresUser()) await chmod(dataDir, 0o711);
}
