import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { clientAddressOf } from '../../server/http/client-address.ts';
import { TokenBuckets } from '../../server/http/rate-limit.ts';
import { fails, ok } from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

describe('token buckets', () => {
  it('allows a burst, then refills at the rate, per key', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([undefined, undefined, undefined]);
    expect(buckets.take('a')).toBe(1);
    expect(buckets.take('b')).toBeUndefined();
    now = 500;
    expect(buckets.take('a')).toBeUndefined();
    expect(buckets.take('a')).toBe(1);
    now = 60_000;
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([undefined, undefined, undefined]);
  });

  it('says how long until a token, rounded up to whole seconds', () => {
    let now = 0;
    const buckets = new TokenBuckets({ perSecond: 0.25, burst: 1 }, () => now);
    expect(buckets.take('a')).toBeUndefined();
    expect(buckets.take('a')).toBe(4);
    now = 3_000;
    expect(buckets.take('a')).toBe(1);
    now = 4_000;
    expect(buckets.take('a')).toBeUndefined();
  });
});

describe.each(DATABASE_KINDS)('rate limits on %s', (kind) => {
  let h: Harness;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    h = await createHarness(kind, { rateLimit: { perSecond: 1, burst: 5 } });
    alice = await h.makeUser();
    bob = await h.makeUser();
  });
  afterAll(() => h.close());

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
