/**
 * Opens the database: Postgres when a URL is configured, otherwise PGlite (Postgres compiled to WebAssembly) in a
 * local directory, so that `npm start` needs nothing installed. The same migrations run on both at start. Each
 * driver is loaded only when used: PGlite alone is tens of megabytes of memory.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, PGLITE_TEMPLATE } from '../paths.ts';
import { preparingStatements } from './prepared-statements.ts';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Anything queries run on: the database or a transaction. */
export type Queryable = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export type DatabaseConfig = { url: string } | { pgliteDir: string } | { pgliteInMemory: true };

/**
 * PGlite's defaults suit a browser tab with one user's working set: 128 MB of shared buffers and a WebAssembly heap
 * that starts at 128 MiB and never shrinks. Coffer's database holds only keys and encrypted names (the files are in
 * the blob store), so a small server keeps a few MiB of it hot. The heap's initial size is fixed by PGlite's module
 * (it refuses a smaller one), so the settings are where the memory goes (docs/BENCHMARKS.md, "The embedded
 * database").
 */
export const PGLITE_SETTINGS = [
  'shared_buffers=16MB',
  'work_mem=1MB',
  'maintenance_work_mem=8MB',
  'wal_buffers=512kB',
  'temp_buffers=1MB',
].flatMap((setting) => ['-c', setting]);

/**
 * A new PGlite directory starts from the empty database the build made: PGlite's initdb runs a second PGlite and the
 * initdb module beside the first, which tripled the first start's peak memory. Without a build (tests run from
 * source), or for a directory that already holds a database, PGlite does as it always did.
 */
function newDatabaseFromTemplate(config: DatabaseConfig): { loadDataDir?: Blob } {
  if (!('pgliteDir' in config) || existsSync(join(config.pgliteDir, 'PG_VERSION')) || !existsSync(PGLITE_TEMPLATE)) {
    return {};
  }
  return { loadDataDir: new Blob([readFileSync(PGLITE_TEMPLATE)]) };
}

/** The advisory lock the migrations run under: any number the database's other users do not take. */
const MIGRATION_LOCK = 0x436f66666572; // 'Coffer' in ASCII

export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if ('url' in config) {
    const [{ default: postgres }, { drizzle }, { migrate }] = await Promise.all([
      import('postgres'),
      import('drizzle-orm/postgres-js'),
      import('drizzle-orm/postgres-js/migrator'),
    ]);
    const client = postgres(config.url, { max: 10, onnotice: () => undefined });
    const db = drizzle(preparingStatements(client), { schema });
    // Several processes may start at once on one database (a deployment behind a load balancer, a rolling update).
    // drizzle's migrator reads which migrations ran before its transaction begins, so two at once would both run
    // the new ones and one would fail; the lock makes the later ones wait and then find nothing left to do.
    const lock = await client.reserve();
    try {
      await lock`select pg_advisory_lock(${MIGRATION_LOCK}::bigint)`;
      try {
        await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        // A connection that fails here takes its session lock with it; the migration's own error is the one to see.
        await lock`select pg_advisory_unlock(${MIGRATION_LOCK}::bigint)`.catch(() => undefined);
      }
    } finally {
      lock.release();
    }
    return { db: db as unknown as Database, kind: 'postgres', close: () => client.end() };
  }
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const client = new PGlite('pgliteDir' in config ? config.pgliteDir : undefined, {
    ...newDatabaseFromTemplate(config),
    startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
    // A new database is created with the same settings, which keeps the first start's peak lower too.
    initDbStartParams: PGLITE_SETTINGS,
  });
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  return { db: db as unknown as Database, kind: 'pglite', close: () => client.close() };
}
