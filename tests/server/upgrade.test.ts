/**
 * A data directory made by the server before the embedded database was tuned (PGlite with its own defaults, the
 * migrations run by drizzle, files in the fs blob store) opens on today's default with every row and file intact,
 * and runs with the small settings; a new one starts from the build's empty database.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { MIGRATIONS_DIR, PGLITE_TEMPLATE } from '../../server/paths.ts';
import { prepareDataDirs } from '../../server/storage/data-dirs.ts';
import { ROOT } from '../run-command.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';

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
    expect(await queryRows(database.db, sql`select id from users`)).toEqual([{ id: userId }]);
    expect(await queryRows(database.db, sql`show shared_buffers`)).toEqual([{ shared_buffers: '16MB' }]);
  } finally {
    await database.close();
  }
  if (config.blobs.kind !== 'fs') throw new Error('expected the fs blob store');
  expect(new Uint8Array(readFileSync(join(config.blobs.root, 'kept', 'blob')))).toEqual(blob);
}, 120_000);

it('starts a new data directory from the empty database the build made, and migrates it', async () => {
  execFileSync(process.execPath, ['--import', 'tsx', 'tools/make-pglite-template.ts'], { cwd: ROOT });
  expect(existsSync(PGLITE_TEMPLATE)).toBe(true);
  const config = loadConfig({ DATA_DIR: join(dataDir, 'new') });
  prepareDataDirs(config);
  const database = await openDatabase(config.database);
  try {
    expect(await queryRows(database.db, sql`select count(*)::int as count from users`)).toEqual([{ count: 0 }]);
    expect(await queryRows(database.db, sql`show shared_buffers`)).toEqual([{ shared_buffers: '16MB' }]);
  } finally {
    await database.close();
  }
  expect(existsSync(join(dataDir, 'new', 'pglite', 'PG_VERSION'))).toBe(true);
}, 180_000);
