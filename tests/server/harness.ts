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
import type { BackupConfig } from '../../server/config.ts';
import type { Database } from '../../server/db/database.ts';
import { createSignedInUser } from './accounts.ts';
import { openTestDatabase, type DatabaseKind } from '../../tools/harness/test-databases.ts';
import type { RegistrationMode } from '../../shared/api/admin-schemas.ts';
import type { RateBuckets, RateLimit } from '../../server/http/rate-limit.ts';
import { AUTH_LIMITS, type AuthLimits } from '../../server/auth/rate-limits.ts';
import { LOCKOUT_POLICY, type LockoutPolicy } from '../../server/auth/lockout.ts';

export const UPLOAD_IDLE_MS = 60 * 60 * 1000;
/** The public origin of the app under test; requests that change something carry it, as a browser's would. */
export const ORIGIN = 'http://localhost:8080';
/** The bearer token the app under test serves /metrics to. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

export interface TestUser {
  id: string;
  cookie: string;
  request: (path: string, init?: RequestInit) => Promise<Response>;
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  /** Another server instance on the same database and blob store, as a second process behind a load balancer. */
  otherApp: () => ReturnType<typeof createApp>;
  db: Database;
  blobs: BlobStore;
  clock: { now: Date };
  logs: string[];
  makeUser: (quotaBytes?: number) => Promise<TestUser>;
  close: () => Promise<void>;
}

/** Far above what any test sends: the harness clock stands still, so buckets never refill unless a test moves it. */
const UNLIMITED: RateLimit = { perSecond: 1e6, burst: 1e6 };

/** Sign-ups are limited per hour: tests make many accounts from one address. */
const TEST_AUTH_LIMITS: AuthLimits = { ...AUTH_LIMITS, signUp: { ...AUTH_LIMITS.signUp, max: 10_000 } };

/** Every test request comes from the same address: only the lockout tests lock it out, with a policy of their own. */
const TEST_LOCKOUT: LockoutPolicy = { ...LOCKOUT_POLICY, threshold: 10_000 };

export interface HarnessOptions {
  rateLimit?: RateLimit;
  lockout?: LockoutPolicy;
  /** TRUST_PROXY: with 1, a test's X-Forwarded-For names the client address. */
  trustedProxies?: number;
  /** Requests per share link and per address to links; unlimited unless a test sets them. */
  linkRateLimit?: RateLimit;
  /** REGISTRATION: the mode once an admin exists; without it the app stays open, so tests sign up many accounts. */
  registrationDefault?: RegistrationMode;
  /** Scheduled backups the admin API and /metrics report on (the test runs them itself). */
  backup?: BackupConfig;
  /** Where request rate limits are counted: in the database unless a test counts them in memory, as PGlite's server does. */
  rateBuckets?: RateBuckets;
}

export async function createHarness(kind: DatabaseKind, options: HarnessOptions = {}): Promise<Harness> {
  const database = await openTestDatabase(kind);
  const blobRoot = await mkdtemp(join(tmpdir(), 'coffer-blobs-'));
  const blobs = await createFsBlobStore(blobRoot);
  const clock = { now: new Date('2026-06-01T12:00:00Z') };
  const logs: string[] = [];
  const build = () =>
    createApp({
      db: database.db,
      blobs,
      webRoot: 'web/build',
      version: 'test',
      now: () => clock.now,
      log: (line) => logs.push(line),
      metricsToken: METRICS_TOKEN,
      publicOrigin: ORIGIN,
      defaultQuotaBytes: 1024 ** 3,
      uploadIdleMs: UPLOAD_IDLE_MS,
      rateLimit: options.rateLimit ?? UNLIMITED,
      linkRateLimit: options.linkRateLimit ?? UNLIMITED,
      authLimits: TEST_AUTH_LIMITS,
      lockout: options.lockout ?? TEST_LOCKOUT,
      trustedProxies: options.trustedProxies ?? 0,
      ...(options.registrationDefault ? { registrationDefault: options.registrationDefault } : {}),
      ...(options.backup ? { backup: options.backup } : {}),
      ...(options.rateBuckets ? { rateBuckets: options.rateBuckets } : {}),
    });
  const app = build();
  return {
    app,
    otherApp: build,
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
            app.request(path, {
              ...init,
              headers: { cookie, origin: ORIGIN, ...(init.headers as Record<string, string>) },
            }),
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
