import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { clientAddressOf } from '../../server/http/client-address.ts';
import { MemoryBuckets, takeToken, type TakeToken } from '../../server/http/rate-limit.ts';
import { fails, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS, queryRows } from '../../tools/harness/test-databases.ts';
import { collectSpentLimits } from '../../server/uploads/collect-stale.ts';
import { AUTH_LIMITS } from '../../server/auth/rate-limits.ts';
import { LOCKOUT_POLICY } from '../../server/auth/lockout.ts';
import { sql } from 'drizzle-orm';

const LIMIT = { perSecond: 1, burst: 5 };

/** What a bucket does, wherever it is counted. */
function bucketRules(taker: () => TakeToken) {
  it('allows a burst, then refills at the rate, per bucket', async () => {
    const limit = { perSecond: 2, burst: 3 };
    const take = (key: string, ms: number) => taker()(key, limit, new Date(ms));
    for (let i = 0; i < 3; i++) expect(await take('a', 0)).toBeUndefined();
    expect(await take('a', 0)).toBe(1);
    expect(await take('b', 0)).toBeUndefined();
    expect(await take('a', 500)).toBeUndefined();
    expect(await take('a', 500)).toBe(1);
    for (let i = 0; i < 3; i++) expect(await take('a', 60_000)).toBeUndefined();
    expect(await take('a', 60_000)).toBe(1);
  });

  it('says how long until a token, rounded up to whole seconds', async () => {
    const limit = { perSecond: 0.25, burst: 1 };
    const take = (ms: number) => taker()('slow', limit, new Date(ms));
    expect(await take(0)).toBeUndefined();
    expect(await take(0)).toBe(4);
    expect(await take(3_000)).toBe(1);
    expect(await take(4_000)).toBeUndefined();
  });
}

describe('rate limits in one process', () => {
  const buckets = new MemoryBuckets();
  bucketRules(() => buckets.take);

  it('keeps the buckets of many keys apart', async () => {
    const limit = { perSecond: 1, burst: 1 };
    for (let i = 0; i < 20_000; i++) expect(await buckets.take(`many:${i}`, limit, new Date(i))).toBeUndefined();
    expect(await buckets.take('many:19999', limit, new Date(19_999))).toBe(1);
  });
});

describe.each(DATABASE_KINDS)('rate limits on %s', (kind) => {
  let h: Harness;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    h = await createHarness(kind, { rateLimit: LIMIT });
    alice = await h.makeUser();
    bob = await h.makeUser();
  });
  afterAll(() => h.close());

  bucketRules(() => (key, limit, now) => takeToken(h.db, `test:${kind}:${key}`, limit, now));

  it('counts concurrent requests exactly', async () => {
    const limit = { perSecond: 1, burst: 10 };
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => takeToken(h.db, `test:${kind}:concurrent`, limit, new Date(0))),
    );
    expect(answers.filter((answer) => answer === undefined)).toHaveLength(10);
  });

  it('collects buckets that are full again, and only those', async () => {
    const key = `test:${kind}:collected`;
    await takeToken(h.db, key, { perSecond: 1, burst: 5 }, new Date(0));
    const collect = (ms: number) =>
      collectSpentLimits({ db: h.db, now: () => new Date(ms), authLimits: AUTH_LIMITS, lockout: LOCKOUT_POLICY });
    const bucketRows = () => queryRows(h.db, sql`select 1 from request_rate_limits where bucket = ${key}`);
    await collect(999);
    expect(await bucketRows()).toHaveLength(1);
    await collect(1_000);
    expect(await bucketRows()).toHaveLength(0);
  });

  it('answers 429 with Retry-After and names the limit, per account, and lets requests through again later', async () => {
    for (let i = 0; i < 5; i++) await ok(alice.request('/api/usage'));
    const refused = await alice.request('/api/usage');
    expect(refused.headers.get('retry-after')).toBe('1');
    const message = await fails(refused, 429, 'RATE_LIMITED');
    expect(message).toContain('1 requests per second');
    expect(message).toContain('this account');
    await ok(bob.request('/api/usage'));
    h.clock.now = new Date(h.clock.now.getTime() + 2_000);
    await ok(alice.request('/api/usage'));
  });

  it('counts requests to every server instance on the database together', async () => {
    const other = h.otherApp();
    const carol = await h.makeUser();
    const viaOther = () => other.request('/api/usage', { headers: { cookie: carol.cookie, origin: ORIGIN } });
    for (let i = 0; i < 3; i++) await ok(carol.request('/api/usage'));
    for (let i = 0; i < 2; i++) await ok(viaOther());
    await fails(viaOther(), 429, 'RATE_LIMITED');
    await fails(carol.request('/api/usage'), 429, 'RATE_LIMITED');
    h.clock.now = new Date(h.clock.now.getTime() + 1_000);
    await ok(viaOther());
    await fails(carol.request('/api/usage'), 429, 'RATE_LIMITED');
  });

  it('limits requests without a session by address', async () => {
    // Requests from app.request() have no socket: they share one address, four times the account limit.
    let status = 0;
    for (let i = 0; i < 30 && status !== 429; i++) status = (await h.app.request('/api/usage')).status;
    expect(status).toBe(429);
    const message = await fails(h.app.request('/api/usage'), 429, 'RATE_LIMITED');
    expect(message).toContain('this address');
  });
});

describe('client address', () => {
  const app = new Hono().get('/:proxies', (c) => c.text(clientAddressOf(c, Number(c.req.param('proxies')))));
  const from = async (proxies: number, forwardedFor?: string) => {
    const response = await app.request(
      `/${proxies}`,
      { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } },
      { incoming: { socket: { remoteAddress: '10.0.0.2' } } },
    );
    return response.text();
  };

  it('is the socket peer unless proxies are trusted, whatever X-Forwarded-For says', async () => {
    expect(await from(0)).toBe('10.0.0.2');
    expect(await from(0, '203.0.113.7')).toBe('10.0.0.2');
  });

  it('is the address the trusted proxies saw, never one the client wrote further left', async () => {
    // The client claims 1.1.1.1; the one proxy saw 203.0.113.7.
    expect(await from(1, '1.1.1.1, 203.0.113.7')).toBe('203.0.113.7');
    // Two proxies: the outer one saw the client, the inner one saw the outer proxy.
    expect(await from(2, '1.1.1.1, 203.0.113.7, 10.0.0.9')).toBe('203.0.113.7');
    // A proxy that sent no header: its own address is all there is.
    expect(await from(1)).toBe('10.0.0.2');
  });
});
