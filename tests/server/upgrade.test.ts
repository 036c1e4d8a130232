/**
 * A data directory made by the server before the embedded database was tuned (PGlite with its own defaults, the
 * migrations run by drizzle, files in the fs blob store) opens on today's default with every row and file intact,
 * and runs with the small settings.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { MIGRATIONS_DIR } from '../../server/paths.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'coffer-upgrade-'));
const userId = crypto.randomUUID();
const blob = new Uint8Array(4096).map((_, i) => (i * 7) % 256);

beforeAll(async () => {
  const config = loadConfig({ DATA_DIR: dataDir });
  if (!('pgliteDir' in config.database) || config.blobs.kind !== 'fs') throw new Error('expected the embedded default');
  // What the server's openDatabase did before the settings: PGlite with no options, then the migrations.
  const before = new PGlite(config.database.pgliteDir);
  await migrate(drizzle(before), { migrationsFolder: MIGRATIONS_DIR });
  await before.query('insert into users (id, quota_bytes) values ($1, 1000000)', [userId]);
  await before.close();
  mkdirSync(join(config.blobs.root, 'kept'), { recursive: true });
  writeFileSync(join(config.blobs.root, 'kept', 'blob'), blob);
}, 120_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('opens a data directory of the earlier default with its rows and files, on the small settings', async () => {
  const config = loadConfig({ DATA_DIR: dataDir });
  const database = await openDatabase(config.database);
  try {
    const users = await database.db.execute<{ id: string }>(sql`select id from users`);
    expect(users.rows.map((row) => row.id)).toEqual([userId]);
    const buffers = await database.db.execute<{ shared_buffers: string }>(sql`show shared_buffers`);
    expect(buffers.rows[0]!.shared_buffers).toBe('16MB');
  } finally {
    await database.close();
  }
  if (config.blobs.kind !== 'fs') throw new Error('expected the fs blob store');
  expect(new Uint8Array(readFileSync(join(config.blobs.root, 'kept', 'blob')))).toEqual(blob);
}, 120_000);
