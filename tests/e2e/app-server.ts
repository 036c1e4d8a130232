/**
 * A real Coffer HTTP server for browser tests: createApp on PGlite and an fs blob store, listening on localhost, serving
 * either the built web app (web/build, from `npm run build`) or a test page that loads the account client bundled by
 * esbuild. Either is same-origin with the API, so cookies, CSP and the WebAuthn RP ID are the real ones.
 */
import { serve as serveHttp, type ServerType } from '@hono/node-server';
import { build } from 'esbuild';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createApp } from '../../server/app.ts';
import type { BlobStore } from '../../server/blobs/blob-store.ts';
import { createFsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import type { BackupConfig } from '../../server/config.ts';
import { openDatabase, type Database } from '../../server/db/database.ts';
import { backupSocketPath, serveBackupSocket } from '../../server/ops/backup-socket.ts';
import type { RegistrationMode } from '../../shared/api/admin-schemas.ts';
import { ROOT } from '../run-command.ts';

export interface AppServer {
  origin: string;
  /**
   * The URL and headers of every request the server received, from the page, its workers and its service worker
   * alike (the browser's own request events miss the workers'). Bodies are not kept: reading them here would race
   * the routes that read Node's request.
   */
  received: { url: string; headers: string }[];
  /** Every line the server logged, for a test to check that no secret reached the logs. */
  logged: string[];
  /** The fs blob store's directory, where a test can alter stored ciphertext as a hostile server would. */
  blobRoot: string;
  /** The server's database, for a test to check what is left in it. */
  db: Database;
  /** Its blob store, which a test backs up as the server's schedule would. */
  blobs: BlobStore;
  close(): Promise<void>;
}

/** A port free on this machine when asked; a server started later may take it, or reuse it after a restart. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startAppServer(
  serve: 'web app' | 'test page',
  options: {
    now?: () => Date;
    /** REGISTRATION as server/main.ts passes it (invite-only unless configured); without it the app stays open. */
    registrationDefault?: RegistrationMode;
    /** Scheduled backups as configured, which the admin screen shows; the test runs them itself. */
    backup?: BackupConfig;
    /**
     * Keeps the database (PGlite) and the blobs on disk where an instance with this DATA_DIR keeps them, and answers
     * `coffer backup` on its backup socket as the instance does; without it the database is in memory.
     */
    dataDir?: string;
    /** The bearer token that opens /metrics; without it, /metrics is off. */
    metricsToken?: string;
    /** Another directory than web/build to serve the web app from: a test changes it as a server would. */
    webRoot?: string;
  } = {},
): Promise<AppServer> {
  const dir = await mkdtemp(join(tmpdir(), 'coffer-e2e-'));
  const webRoot = serve === 'web app' ? (options.webRoot ?? join(ROOT, 'web/build')) : join(dir, 'web');
  if (serve === 'test page') await buildTestPage(webRoot);
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const database = await openDatabase(
    options.dataDir ? { pgliteDir: join(options.dataDir, 'pglite') } : { pgliteInMemory: true },
  );
  const backupSocket = options.dataDir
    ? await serveBackupSocket(backupSocketPath(options.dataDir), database.db)
    : undefined;
  const blobRoot = join(options.dataDir ?? dir, 'blobs');
  const blobs = await createFsBlobStore(blobRoot);
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const logged: string[] = [];
  const app = createApp({
    db: database.db,
    blobs,
    webRoot: relative(process.cwd(), webRoot),
    version: 'e2e',
    publicOrigin: origin,
    defaultQuotaBytes: 1024 ** 3,
    log: (line) => logged.push(line),
    ...(options.now ? { now: options.now } : {}),
    ...(options.registrationDefault ? { registrationDefault: options.registrationDefault } : {}),
    ...(options.backup ? { backup: options.backup } : {}),
    ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
  });
  const received: AppServer['received'] = [];
  const record = (request: Request, env: unknown) => {
    received.push({
      url: request.url,
      headers: [...request.headers].map(([name, value]) => `${name}: ${value}`).join('\n'),
    });
    return app.fetch(request, env as Parameters<typeof app.fetch>[1]);
  };
  const server: ServerType = serveHttp({ fetch: record, port, hostname: 'localhost' });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    origin,
    received,
    logged,
    blobRoot,
    db: database.db,
    blobs,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await new Promise((resolve) => (backupSocket ? backupSocket.close(resolve) : resolve(undefined)));
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A page that loads the account client (tests/e2e/page-entry.ts), bundled by esbuild. */
async function buildTestPage(webRoot: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'tests/e2e/page-entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outfile: join(webRoot, 'client.js'),
    logLevel: 'warning',
  });
  await writeFile(
    join(webRoot, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>Coffer test</title>' +
      '<script type="module" src="/client.js"></script></head><body></body></html>',
  );
}
