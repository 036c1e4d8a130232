/**
 * Request rate limits: a token bucket per key (an account, or a client address). Each bucket holds up to `burst`
 * requests and refills at `perSecond`; a request finding it empty gets 429 with Retry-After. On Postgres the buckets
 * are counted in the database, so that every server process draws from the same ones; on PGlite, which only one
 * process can open, they are counted in that process's memory, where they are just as exact and cost no query on the
 * one connection every request waits for (docs/BENCHMARKS.md, "Request rate limits in the database").
 *
 * A bucket is stored as the one time at which it will be full again (the generic cell rate algorithm): each request
 * moves that time on by one request's share of a second, and is let through while the time stays within the burst's
 * length of now. Taking a token is then one upsert, which the database serialises per bucket, so that concurrent
 * requests to different processes count correctly.
 */
import { eq, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Database } from '../db/database.ts';
import { requestRateLimits } from '../db/schema.ts';
import { ApiError } from './errors.ts';

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** Takes one request's token from the bucket `key`; returns undefined if there was one, else the seconds until there will be. */
export type TakeToken = (key: string, limit: RateLimit, now: Date) => Promise<number | undefined>;

/** Where the buckets are counted: 'database' for processes that share one Postgres database, 'memory' for one process. */
export type RateBuckets = 'database' | 'memory';

export function tokenTaker(where: RateBuckets, db: Database): TakeToken {
  if (where === 'memory') return new MemoryBuckets().take;
  return (key, limit, now) => takeToken(db, key, limit, now);
}

export async function takeToken(db: Database, key: string, limit: RateLimit, now: Date): Promise<number | undefined> {
  const stepMs = 1000 / limit.perSecond;
  // The bucket holds a token while it will be full again within this long of now.
  const toleranceMs = (limit.burst - 1) * stepMs;
  // Raw SQL parameters are passed as text: drivers differ in how they send a Date.
  const nowValue = sql`${now.toISOString()}::timestamptz`;
  const milliseconds = (ms: number) => sql`${ms}::double precision * interval '1 millisecond'`;
  const step = milliseconds(stepMs);
  const latest = sql`${nowValue} + ${milliseconds(toleranceMs)}`;
  const taken = await db
    .insert(requestRateLimits)
    .values({ bucket: key, fullAt: sql`${nowValue} + ${step}` })
    .onConflictDoUpdate({
      target: requestRateLimits.bucket,
      set: { fullAt: sql`greatest(${requestRateLimits.fullAt}, ${nowValue}) + ${step}` },
      setWhere: sql`${requestRateLimits.fullAt} <= ${latest}`,
    })
    .returning({ fullAt: requestRateLimits.fullAt });
  if (taken.length > 0) return undefined;
  const [row] = await db
    .select({ fullAt: requestRateLimits.fullAt })
    .from(requestRateLimits)
    .where(eq(requestRateLimits.bucket, key));
  // Gone if collected meanwhile: the bucket is full again, and a retry after the least Retry-After will find it so.
  const waitMs = row ? row.fullAt.getTime() - toleranceMs - now.getTime() : 0;
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** Beyond this many buckets in memory, the full ones (which say nothing a new bucket would not) are dropped. */
const MAX_MEMORY_BUCKETS = 10_000;

/** The same buckets as takeToken's, each as the time it will be full again, in one process's memory. */
export class MemoryBuckets {
  readonly #fullAt = new Map<string, number>();

  readonly take: TakeToken = (key, limit, now) => {
    const stepMs = 1000 / limit.perSecond;
    const toleranceMs = (limit.burst - 1) * stepMs;
    const nowMs = now.getTime();
    const fullAt = this.#fullAt.get(key) ?? nowMs;
    if (fullAt > nowMs + toleranceMs) {
      return Promise.resolve(Math.max(1, Math.ceil((fullAt - toleranceMs - nowMs) / 1000)));
    }
    this.#fullAt.set(key, Math.max(fullAt, nowMs) + stepMs);
    if (this.#fullAt.size > MAX_MEMORY_BUCKETS) this.#dropFull(nowMs);
    return Promise.resolve(undefined);
  };

  #dropFull(nowMs: number): void {
    for (const [key, fullAt] of this.#fullAt) if (fullAt <= nowMs) this.#fullAt.delete(key);
  }
}

/** Refuses a request with 429 once `keyOf` has made more than `limit` allows; `who` names the key in the error. */
export function rateLimit(
  take: TakeToken,
  limit: RateLimit,
  now: () => Date,
  who: string,
  keyOf: (c: Context) => string,
) {
  return createMiddleware(async (c, next) => {
    const retryAfter = await take(keyOf(c), limit, now());
    if (retryAfter !== undefined) {
      throw new ApiError(
        429,
        'RATE_LIMITED',
        `more than ${limit.perSecond} requests per second (bursts of ${limit.burst}) from ${who}; ` +
          `try again in ${retryAfter} s`,
        { 'retry-after': String(retryAfter) },
      );
    }
    await next();
  });
}
