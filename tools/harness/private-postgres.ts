/**
 * A Postgres 15 cluster of a test's own, which the test may stop and start: the machine's shared Postgres serves
 * other tests and must never be restarted. The cluster lives in a folder under the system's temporary directory and
 * listens on a free port; its processes run as the `postgres` user (Postgres refuses to run as root), through
 * `runuser` when the test runs as root.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = process.env.COFFER_TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const COMMAND_TIMEOUT_MS = 60_000;

const execFileAsync = promisify(execFile);

export interface PrivatePostgres {
  /** A database URL on the cluster, for a database named `coffer`. */
  url: string;
  /** Stops the cluster at once: sessions are cut, as when its machine restarts. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster if it runs and removes its folder. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-private-postgres-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) => {
    const [file, argv] =
      userInfo().uid === 0
        ? ['runuser', ['-u', 'postgres', '--', join(BIN, command), ...args]]
        : [join(BIN, command), args];
    return execFileAsync(file, argv, { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' });
  };
  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), ...args]);
  let running = false;
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/coffer`,
    async stop() {
      await pgCtl('stop', '-m', 'immediate', '-w');
      running = false;
    },
    async start() {
      await pgCtl('start', '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`);
      running = true;
    },
    async destroy() {
      if (running) await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    if (userInfo().uid === 0) await chown(dir, ...(await postgresIds()));
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
    await cluster.start();
    await asPostgres('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'coffer']);
    return cluster;
  } catch (error) {
    await cluster.destroy().catch(() => undefined);
    throw error;
  }
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await execFileAsync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const { stdout: group } = await execFileAsync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return [Number(stdout.trim()), Number(group.trim())];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
