/**
 * The two databases every server test runs on: PGlite (in memory) and a real Postgres with a fresh database per
 * run, dropped afterwards. COFFER_TEST_POSTGRES_URL points at the server (default: the local one, trust auth).
 */
import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.ts';

export const DATABASE_KINDS = ['pglite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

export const POSTGRES_URL = process.env.COFFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `coffer_test_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = postgres(`${POSTGRES_URL}/postgres`, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(`cannot create a test database on ${POSTGRES_URL} (is Postgres running? .ci/run starts it)`, {
      cause: error,
    });
  }
  return {
    url: `${POSTGRES_URL}/${name}`,
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function openTestDatabase(kind: DatabaseKind): Promise<DatabaseHandle> {
  if (kind === 'pglite') return openDatabase({ pgliteInMemory: true });
  const created = await createPostgresDatabase();
  const handle = await openDatabase({ url: created.url });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await created.drop();
    },
  };
}

/** Rows of a raw query; postgres.js returns them as an array, PGlite as `{ rows }`. */
export async function queryRows<T>(db: DatabaseHandle['db'], query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
