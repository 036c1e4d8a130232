import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, type LockoutPolicy } from '../../server/auth/lockout.ts';
import { AUTH_LIMITS } from '../../server/auth/rate-limits.ts';
import { collectSpentLimits } from '../../server/uploads/collect-stale.ts';
import { sql } from 'drizzle-orm';
import { TestBrowser } from './browser.ts';
import { fails, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import { auditTypes, random, signIn, signUp, later } from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS, queryRows } from '../../tools/harness/test-databases.ts';

const POLICY: LockoutPolicy = { threshold: 3, firstMs: 60_000, capMs: 240_000, forgetMs: 24 * 60 * 60 * 1000 };

/** A browser behind a trusted proxy that names its address. */
class BrowserAt extends TestBrowser {
  constructor(
    h: Harness,
    public address: string,
    authenticator?: SoftAuthenticator,
  ) {
    super(h, authenticator);
  }

  override request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { ...(init.headers as Record<string, string>), 'x-forwarded-for': this.address };
    return super.request(path, { ...init, headers });
  }
}

const phished = (browser: TestBrowser) => signIn(browser, { origin: 'https://coffer.example.evil' });

async function lockedOut(response: Promise<Response>, retryAfter: string): Promise<string> {
  const res = await response;
  expect(res.headers.get('retry-after')).toBe(retryAfter);
  return fails(res, 429, 'LOCKED_OUT');
}

describe.each(DATABASE_KINDS)('lockout on %s', (kind) => {
  let h: Harness;
  let address = 0;
  const nextAddress = () => `198.51.100.${++address}`;
  beforeAll(async () => {
    h = await createHarness(kind, { lockout: POLICY, trustedProxies: 1 });
  });
  afterAll(() => h.close());

  it('locks an account after the threshold of failed sign-ins, releases it after its time, and doubles it', async () => {
    const browser = new BrowserAt(h, nextAddress());
    const { bundle } = await signUp(browser);
    await ok(browser.post('/api/account/sign-out'), 204);
    // Each try from another address: what locks is the account.
    for (let i = 0; i < POLICY.threshold; i++) {
      browser.address = nextAddress();
      await fails(phished(browser), 401, 'WEBAUTHN_REFUSED');
    }
    browser.address = nextAddress();
    const message = await lockedOut(signIn(browser), '60');
    expect(message).toContain('this account');
    expect(message).toContain(new Date(h.clock.now.getTime() + 60_000).toISOString());

    later(h, 59_000);
    await lockedOut(signIn(browser), '1');
    later(h, 1_000);
    // Released: one more failure locks it again, for twice as long.
    await fails(phished(browser), 401, 'WEBAUTHN_REFUSED');
    await lockedOut(signIn(browser), '120');
    later(h, 120_000);
    await ok(signIn(browser));

    // The success forgave the account's failures.
    await ok(browser.post('/api/account/sign-out'), 204);
    await fails(phished(browser), 401, 'WEBAUTHN_REFUSED');
    await ok(signIn(browser));
    const { events } = await ok<{ events: { type: string; details: Record<string, unknown> }[] }>(
      browser.request('/api/account/security-events?type=lockout'),
    );
    expect(events.map((event) => event.details)).toEqual([
      { scope: 'account', failures: 4, until: expect.any(String) },
      { scope: 'account', failures: 3, until: expect.any(String) },
    ]);
    expect(await auditTypes(h, bundle.userId)).toContain('lockout');
  });

  it('locks an address after failed recoveries, even for the right code, but not other addresses', async () => {
    const owner = new BrowserAt(h, nextAddress());
    const { recoveryVerifier } = await signUp(owner);
    const guesser = new BrowserAt(h, nextAddress(), new SoftAuthenticator(ORIGIN));
    for (let i = 0; i < POLICY.threshold; i++) {
      await fails(guesser.post('/api/auth/recover', { recoveryVerifier: random(32) }), 401, 'RECOVERY_REFUSED');
    }
    const message = await lockedOut(guesser.post('/api/auth/recover', { recoveryVerifier }), '60');
    expect(message).toContain('this address');
    const elsewhere = new BrowserAt(h, nextAddress(), new SoftAuthenticator(ORIGIN));
    await ok(elsewhere.post('/api/auth/recover', { recoveryVerifier }));
  });

  it('is collected only once its failures are forgotten and it locks nothing', async () => {
    const guesser = new BrowserAt(h, nextAddress(), new SoftAuthenticator(ORIGIN));
    for (let i = 0; i < POLICY.threshold; i++) {
      await fails(guesser.post('/api/auth/recover', { recoveryVerifier: random(32) }), 401, 'RECOVERY_REFUSED');
    }
    const collect = (ms: number) =>
      collectSpentLimits({
        db: h.db,
        now: () => new Date(h.clock.now.getTime() + ms),
        authLimits: AUTH_LIMITS,
        lockout: POLICY,
      });
    const rows = () => queryRows(h.db, sql`select 1 from auth_lockouts where bucket = ${addressKey(guesser.address)}`);
    await collect(POLICY.forgetMs - 1);
    expect(await rows()).toHaveLength(1);
    await collect(POLICY.forgetMs);
    expect(await rows()).toHaveLength(0);
  });

  it('holds across two server instances on one database', async () => {
    const other = h.otherApp();
    const address = nextAddress();
    const first = new BrowserAt(h, address, new SoftAuthenticator(ORIGIN));
    const second = new BrowserAt({ ...h, app: other }, address, new SoftAuthenticator(ORIGIN));
    for (let i = 0; i < POLICY.threshold; i++) {
      await fails(first.post('/api/auth/recover', { recoveryVerifier: random(32) }), 401, 'RECOVERY_REFUSED');
    }
    await lockedOut(second.post('/api/auth/recover', { recoveryVerifier: random(32) }), '60');
    later(h, 60_000);
    await fails(second.post('/api/auth/recover', { recoveryVerifier: random(32) }), 401, 'RECOVERY_REFUSED');
  });
});
