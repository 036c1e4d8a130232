/**
 * Opens the database: Postgres when a URL is configured, otherwise PGlite (Postgres compiled to WebAssembly) in a
 * local directory, so that `npm start` needs nothing installed. The same migrations run on both at start. Each
 * driver is loaded only when used: PGlite alone is tens of megabytes of memory.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import { MIGRATIONS_DIR } from '../paths.ts';

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

export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  if ('url' in config) {
    const [{ default: postgres }, { drizzle }, { migrate }] = await Promise.all([
      import('postgres'),
      import('drizzle-orm/postgres-js'),
      import('drizzle-orm/postgres-js/migrator'),
    ]);
    const client = postgres(config.url, { max: 10, onnotice: () => undefined });
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    return { db: db as unknown as Database, kind: 'postgres', close: () => client.end() };
  }
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const client = 'pgliteDir' in config ? new PGlite(config.pgliteDir) : new PGlite();
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  return { db: db as unknown as Database, kind: 'pglite', close: () => client.close() };
}
