/**
 * A Coffer app on a real database and a real filesystem blob store, with a clock the test controls, and users made
 * through the data layer (tests/server/accounts.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../server/app.ts';
import type { BlobStore } from '../../server/blobs/blob-store.ts';
import { createFsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import type { Database } from '../../server/db/database.ts';
import { createSignedInUser } from './accounts.ts';
import { openTestDatabase, type DatabaseKind } from './test-databases.ts';

export const UPLOAD_IDLE_MS = 60 * 60 * 1000;

export interface TestUser {
  id: string;
  cookie: string;
  request: (path: string, init?: RequestInit) => Promise<Response>;
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  db: Database;
  blobs: BlobStore;
  clock: { now: Date };
  logs: string[];
  makeUser: (quotaBytes?: number) => Promise<TestUser>;
  close: () => Promise<void>;
}

export async function createHarness(kind: DatabaseKind): Promise<Harness> {
  const database = await openTestDatabase(kind);
  const blobRoot = await mkdtemp(join(tmpdir(), 'coffer-blobs-'));
  const blobs = await createFsBlobStore(blobRoot);
  const clock = { now: new Date('2026-06-01T12:00:00Z') };
  const logs: string[] = [];
  const app = createApp({
    db: database.db,
    blobs,
    webRoot: 'web/public',
    version: 'test',
    now: () => clock.now,
    log: (line) => logs.push(line),
    uploadIdleMs: UPLOAD_IDLE_MS,
  });
  return {
    app,
    db: database.db,
    blobs,
    clock,
    logs,
    async makeUser(quotaBytes = 1024 ** 3) {
      const expiresAt = new Date(clock.now.getTime() + 24 * 60 * 60 * 1000);
      const { id, cookie } = await createSignedInUser(database.db, quotaBytes, expiresAt);
      return {
        id,
        cookie,
        request: (path, init = {}) =>
          Promise.resolve(
            app.request(path, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } }),
          ),
      };
    },
    async close() {
      await blobs.close();
      await database.close();
      await rm(blobRoot, { recursive: true, force: true });
    },
  };
}
