/** Starts Coffer: reads the environment, opens the database and blob store, builds the app, serves it. */
import { serve } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Server } from 'node:http';
import { createApp } from './app.ts';
import { AUTH_LIMITS } from './auth/rate-limits.ts';
import { openBlobStore } from './blobs/open-blob-store.ts';
import { startBackupSchedule } from './backup/scheduled-backup.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { createLogger } from './http/request-log.ts';
import { backupSocketPath, serveBackupSocket } from './ops/backup-socket.ts';
import { shutDownOnSignals } from './ops/graceful-shutdown.ts';
import { PACKAGE_JSON, WEB_ROOT } from './paths.ts';
import { listenProblem, prepareDataDirs, StartupError } from './storage/data-dirs.ts';
import {
  collectExpiredAuditEvents,
  collectExpiredTrash,
  collectSpentLimits,
  collectStaleUploads,
} from './uploads/collect-stale.ts';

const COLLECT_EVERY_MS = 10 * 60 * 1000;

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`coffer: ${error.message}`);
  process.exit(2);
}

try {
  prepareDataDirs(config);
} catch (error) {
  if (!(error instanceof StartupError)) throw error;
  console.error(`coffer: ${error.message}`);
  process.exit(1);
}
const writeLog = (line: string) => void process.stdout.write(line);
const logger = createLogger(writeLog);
const database = await openDatabase(config.database);
const blobs = await openBlobStore(config.blobs);
const backupSocket =
  database.kind === 'pglite'
    ? await serveBackupSocket(backupSocketPath(config.dataDir), database.db).catch((error: unknown) => {
        if (!(error instanceof StartupError)) throw error;
        console.error(`coffer: ${error.message}`);
        void Promise.allSettled([database.close(), blobs.close()]).then(() => process.exit(1));
        return new Promise<never>(() => undefined);
      })
    : undefined;
const closeResources = () =>
  Promise.allSettled([
    backupSchedule?.stop(),
    new Promise((resolve) => (backupSocket ? backupSocket.close(resolve) : resolve(undefined))),
    database.close(),
    blobs.close(),
  ]);
const packageJson = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as {
  version: string;
};
// serveStatic takes a root relative to the working directory.
const webRoot = relative(process.cwd(), WEB_ROOT) || '.';
const app = createApp({
  db: database.db,
  blobs,
  webRoot,
  version: packageJson.version,
  publicOrigin: config.publicOrigin,
  defaultQuotaBytes: config.defaultQuotaBytes,
  registrationDefault: config.registrationDefault,
  uploadIdleMs: config.uploadIdleMs,
  rateLimit: config.rateLimit,
  rateBuckets: database.kind === 'pglite' ? 'memory' : 'database',
  lockout: config.lockout,
  trustedProxies: config.trustedProxies,
  log: writeLog,
  metricsToken: config.metricsToken,
  ...(config.backup ? { backup: config.backup } : {}),
});

const collectDeps = {
  db: database.db,
  blobs,
  now: () => new Date(),
  authLimits: AUTH_LIMITS,
  lockout: config.lockout,
};
const collect = () =>
  Promise.all([
    collectStaleUploads(collectDeps).catch((error: unknown) =>
      logger.error({ err: error }, 'collecting stale uploads failed'),
    ),
    collectExpiredTrash(collectDeps).catch((error: unknown) =>
      logger.error({ err: error }, 'emptying expired trash failed'),
    ),
    collectExpiredAuditEvents(collectDeps, config.auditRetentionDays).catch((error: unknown) =>
      console.error('coffer: pruning the audit log failed:', error),
    ),
    collectSpentLimits(collectDeps).catch((error: unknown) =>
      logger.error({ err: error }, 'collecting spent rate limit counters failed'),
    ),
  ]);
await collect();
setInterval(collect, COLLECT_EVERY_MS).unref();

const backupSchedule = config.backup
  ? startBackupSchedule({
      db: database.db,
      databaseKind: database.kind,
      blobs,
      backup: config.backup,
      now: () => new Date(),
      logger,
    })
  : undefined;

/** Where the data lives, as a new user needs to know it: the directories, or which external services. */
function dataLocation(): string {
  const databasePlace = 'pgliteDir' in config.database ? config.database.pgliteDir : 'Postgres (DATABASE_URL)';
  const blobPlace = config.blobs.kind === 'fs' ? config.blobs.root : `S3 bucket ${config.blobs.bucket}`;
  return `database in ${databasePlace}, files in ${blobPlace}`;
}

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  const where = `${database.kind}, ${blobs.kind} blobs`;
  console.log(`Coffer ${packageJson.version} listening on http://${config.host}:${info.port} (${where})`);
  // The origin passkeys are bound to: PUBLIC_ORIGIN, or localhost on the port it listens on.
  const open = process.env.PUBLIC_ORIGIN ? config.publicOrigin : `http://localhost:${info.port}`;
  console.log(`Open ${open} in a browser. Data: ${dataLocation()}`);
  if (config.backup) {
    const { name, schedule, keep } = config.backup;
    console.log(`Backups: to ${name} on schedule ${schedule.text} (UTC), keeping ${keep} snapshot(s)`);
  }
});

server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`coffer: ${listenProblem(error, config.host, config.port)}`);
  void closeResources().then(() => process.exit(1));
});

shutDownOnSignals({
  // serve() makes an HTTP/1 server unless it is given another one to make.
  server: server as Server,
  timeoutMs: config.shutdownTimeoutMs,
  closeResources,
  logger,
});
