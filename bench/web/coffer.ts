/** A Coffer server for one round, started as `npm start` starts it, on PGlite or a fresh Postgres database. */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitForListening } from '../../tools/harness/server-process.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { spawnCoffer } from '../bench-kit.ts';
import { DATABASE, FILE_BYTES, PROFILE_DIR } from './settings.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface Coffer {
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Coffer as `npm start` runs it, on a free port, its data in `dataDir`, with a rate limit no benchmark reaches; on
 * PGlite (the embedded default) or, with BENCH_DATABASE=postgres, on a fresh database of the local Postgres.
 */
export async function startCoffer(dataDir: string): Promise<Coffer> {
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
