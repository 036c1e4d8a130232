/**
 * Request rate limits: a token bucket per key (an account, or a client address), held in this process. Each bucket
 * holds up to `burst` requests and refills at `perSecond`; a request finding it empty gets 429 with Retry-After.
 * Several server processes each keep their own buckets, so a deployment of N processes allows up to N times as much.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { ApiError } from './errors.ts';

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** Beyond this many buckets, full ones (which say nothing a new bucket would not) are dropped. */
const MAX_BUCKETS = 10_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly limit: RateLimit,
    private readonly nowMs: () => number,
  ) {}

  /** Takes one request's token; returns undefined if there was one, else the seconds until there will be. */
  take(key: string): number | undefined {
    const now = this.nowMs();
    const bucket = this.#buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(key, bucket);
      return Math.ceil((1 - bucket.tokens) / this.limit.perSecond);
    }
    bucket.tokens -= 1;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_BUCKETS) this.#dropFull(now);
    return undefined;
  }

  #dropFull(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond >= this.limit.burst) {
        this.#buckets.delete(key);
      }
    }
  }
}

/** Refuses a request with 429 once `keyOf` has made more than the buckets allow; `who` names the key in the error. */
export function rateLimit(buckets: TokenBuckets, who: string, keyOf: (c: Context) => string) {
  return createMiddleware(async (c, next) => {
    const retryAfter = buckets.take(keyOf(c));
    if (retryAfter !== undefined) {
      c.header('retry-after', String(retryAfter));
      throw new ApiError(
        429,
        'RATE_LIMITED',
        `more than ${buckets.limit.perSecond} requests per second (bursts of ${buckets.limit.burst}) from ${who}; ` +
          `try again in ${retryAfter} s`,
      );
    }
    await next();
  });
}
