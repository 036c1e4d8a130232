/**
 * Whether this process can serve: its database answers a query and its blob store answers (BlobStore.ping). A load
 * balancer takes a process that fails either out of rotation; each check has a deadline, so that a store that hangs
 * fails the check instead of hanging it.
 */
import { sql } from 'drizzle-orm';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { Database } from '../db/database.ts';

export const READINESS_TIMEOUT_MS = 5000;

export interface Readiness {
  ready: boolean;
  /** 'ok', or why the dependency failed its check. */
  checks: { database: string; blobStore: string };
}

export async function checkReadiness(db: Database, blobs: BlobStore, timeoutMs = READINESS_TIMEOUT_MS) {
  const [database, blobStore] = await Promise.all([
    outcome(
      db.execute(sql`select 1`).then(() => undefined),
      timeoutMs,
    ),
    outcome(blobs.ping(), timeoutMs),
  ]);
  return { ready: database === 'ok' && blobStore === 'ok', checks: { database, blobStore } } satisfies Readiness;
}

async function outcome(check: Promise<void>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      check.then(
        () => 'ok',
        (error: unknown) => `unreachable: ${describe(error)}`,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error's code and class, never its message: a driver's message may carry a connection string. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}
