/**
 * Migrations that move data are run step by step on both databases: the schema before, rows as that version wrote
 * them, then the migration, and what the rows became. And every migration at once, as processes starting together run
 * them.
 */
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.ts';
import { createPostgresDatabase, DATABASE_KINDS, type DatabaseKind } from '../../tools/harness/test-databases.ts';

const migration = (tag: string) => readFileSync(new URL(`../../drizzle/${tag}.sql`, import.meta.url), 'utf8');

interface RawDatabase {
  exec(sql: string): Promise<void>;
  rows<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

async function openRaw(kind: DatabaseKind): Promise<RawDatabase> {
  if (kind === 'pglite') {
    const db = new PGlite();
    return {
      exec: async (sql) => void (await db.exec(sql)),
      rows: async <T>(sql: string) => (await db.query<T>(sql)).rows,
      close: () => db.close(),
    };
  }
  const created = await createPostgresDatabase();
  const client = postgres(created.url, { max: 1, onnotice: () => undefined });
  return {
    exec: async (sql) => void (await client.unsafe(sql)),
    rows: async <T>(sql: string) => (await client.unsafe(sql)) as unknown as T[],
    close: async () => {
      await client.end();
      await created.drop();
    },
  };
}

describe.each(DATABASE_KINDS)('migration 0001_segments on %s', (kind) => {
  let db: RawDatabase;
  const user = crypto.randomUUID();
  const completed = crypto.randomUUID();
  const uploading = crypto.randomUUID();
  const upload = crypto.randomUUID();

  beforeAll(async () => {
    db = await openRaw(kind);
    await db.exec(migration('0000_init'));
    await db.exec(`
      insert into users (id, quota_bytes) values ('${user}', 1000000);
      insert into revisions (id, node_id, owner_id, number, header, chunk_size, chunk_count, size, completed_at)
        values ('${completed}', gen_random_uuid(), '${user}', 1, '\\x00', 1024, 3, 2524, now()),
               ('${uploading}', gen_random_uuid(), '${user}', 1, '\\x00', 1024, 4, 3621, null);
      insert into uploads (id, user_id, revision_id, node_id, new_node, expires_at)
        values ('${upload}', '${user}', '${uploading}', gen_random_uuid(), false, now());
      insert into upload_chunks (upload_id, index, size) values ('${upload}', 0, 1097), ('${upload}', 2, 1097);
    `);
    await db.exec(migration('0001_segments'));
  });
  afterAll(() => db.close());

  it('gives each stored chunk a one-chunk segment, the key its blob already has, and drops upload_chunks', async () => {
    const segments = await db.rows<{ revision_id: string; first_index: number; chunk_count: number }>(
      'select revision_id, first_index, chunk_count from revision_segments order by revision_id, first_index',
    );
    const of = (revision: string) =>
      segments.filter((row) => row.revision_id === revision).map((row) => [row.first_index, row.chunk_count]);
    expect(of(completed)).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(of(uploading)).toEqual([
      [0, 1],
      [2, 1],
    ]);
    const tables = await db.rows<{ table_name: string }>(
      "select table_name from information_schema.tables where table_name = 'upload_chunks'",
    );
    expect(tables).toEqual([]);
  });
});

describe('migrations run by several processes at once', () => {
  it('run once, the others waiting and finding nothing left to do', async () => {
    const created = await createPostgresDatabase();
    try {
      const opened = await Promise.allSettled([1, 2, 3].map(() => openDatabase({ url: created.url })));
      for (const result of opened) if (result.status === 'fulfilled') await result.value.close();
      expect(opened.map((result) => (result.status === 'rejected' ? String(result.reason) : 'opened'))).toEqual([
        'opened',
        'opened',
        'opened',
      ]);
    } finally {
      await created.drop();
    }
  });
});
