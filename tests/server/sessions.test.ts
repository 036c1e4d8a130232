/**
 * Sessions: an absolute lifetime besides the idle one, cookies whose Secure flag and `__Host-` names follow
 * PUBLIC_ORIGIN and nothing a client sends, and a recovery that ends every other session and uses its code up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app.ts';
import { CHALLENGE_COOKIE, SESSION_COOKIE } from '../../server/http/auth.ts';
import { TestBrowser } from './browser.ts';
import { fails, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import {
  addPasskey,
  auditTypes,
  days,
  later,
  minutes,
  newRecoveryCode,
  publicKey,
  random,
  signIn,
  signUp,
  someWrap,
  type Bundle,
} from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const HTTPS_ORIGIN = 'https://coffer.example';

/** The Set-Cookie line for a cookie name, attributes included. */
const setCookie = (response: Response, name: string) =>
  response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
const cookieValue = (line: string) => line.slice(line.indexOf('=') + 1, line.indexOf(';'));

describe.each(DATABASE_KINDS)('sessions on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it('ends a session 30 days after it began, even one used every day', async () => {
    const browser = new TestBrowser(h);
    await signUp(browser);
    for (let day = 1; day < 30; day++) {
      later(h, days(1));
      await ok(browser.request('/api/usage'));
    }
    later(h, days(1));
    await fails(browser.request('/api/usage'), 401, 'UNAUTHENTICATED');
    // Listed nowhere either.
    const other = new TestBrowser(h, browser.authenticator);
    await ok(signIn(other));
    const { sessions } = await ok<{ sessions: unknown[] }>(other.request('/api/account/sessions'));
    expect(sessions).toHaveLength(1);
  });

  it('sets cookies without Secure over HTTP, whatever X-Forwarded-Proto a client sends', async () => {
    const browser = new TestBrowser(h);
    const spoofed = await browser.request('/api/auth/sign-up/options', {
      method: 'POST',
      headers: { 'x-forwarded-proto': 'https' },
    });
    const challenge = setCookie(spoofed, CHALLENGE_COOKIE)!;
    expect(challenge).toMatch(/HttpOnly/);
    expect(challenge).toMatch(/SameSite=Strict/);
    expect(challenge).not.toMatch(/Secure/);
    expect(setCookie(spoofed, `__Host-${CHALLENGE_COOKIE}`)).toBeUndefined();
  });

  it('over HTTPS (PUBLIC_ORIGIN), names the cookies __Host- and marks them Secure, with no proxy header', async () => {
    const app = createApp({
      db: h.db,
      blobs: h.blobs,
      webRoot: 'web/build',
      version: 'test',
      now: () => h.clock.now,
      log: () => undefined,
      publicOrigin: HTTPS_ORIGIN,
      defaultQuotaBytes: 1024 ** 3,
    });
    const post = (path: string, cookie: string, body: unknown) =>
      app.request(`${HTTPS_ORIGIN}${path}`, {
        method: 'POST',
        headers: { origin: HTTPS_ORIGIN, cookie, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const asked = await post('/api/auth/sign-up/options', '', {});
    const challenge = setCookie(asked, `__Host-${CHALLENGE_COOKIE}`)!;
    expect(challenge).toMatch(/; Secure/);
    expect(challenge).toMatch(/; Path=\//);
    expect(challenge).not.toMatch(/Domain/);
    const { options } = (await asked.json()) as { options: never };
    const response = await new SoftAuthenticator(HTTPS_ORIGIN).create(options);
    const signedUp = await post('/api/auth/sign-up/verify', `__Host-${CHALLENGE_COOKIE}=${cookieValue(challenge)}`, {
      response,
      prfWrap: { salt: random(32), wrapped: await someWrap() },
      recoveryWrap: { salt: random(32), wrapped: await someWrap() },
      recoveryVerifier: random(32),
      publicKeys: { sharing: publicKey(), signing: publicKey() },
      privateKeys: { sharing: await someWrap(), signing: await someWrap() },
    });
    expect(signedUp.status).toBe(201);
    const session = setCookie(signedUp, `__Host-${SESSION_COOKIE}`)!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/Max-Age=2592000/);
    const token = cookieValue(session);
    const get = (cookie: string) => app.request(`${HTTPS_ORIGIN}/api/account`, { headers: { cookie } });
    await ok(get(`__Host-${SESSION_COOKIE}=${token}`));
    // The same token under the plain name, which a sibling host or an HTTP page could have set, is not a session.
    await fails(get(`${SESSION_COOKIE}=${token}`), 401, 'UNAUTHENTICATED');
  });

  it('recovery ends every other session, audits it, and uses the code up at once', async () => {
    const laptop = new TestBrowser(h);
    const { bundle, recoveryVerifier, request } = await signUp(laptop);
    const phone = new TestBrowser(h, laptop.authenticator);
    await ok(signIn(phone));
    const lost = new TestBrowser(h, new SoftAuthenticator(ORIGIN));
    const recovered = await ok<Bundle>(lost.post('/api/auth/recover', { recoveryVerifier }));
    // The browser gets the recovery wrap once more, to open the master key.
    expect(recovered.recoveryWrap).toEqual(request.recoveryWrap);
    await fails(laptop.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await fails(phone.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await ok(lost.request('/api/usage'));
    expect(await auditTypes(h, bundle.userId)).toEqual(['sign-up', 'passkey-added', 'sign-in', 'recovery-used']);

    // Single use: the same code again, from anywhere, opens nothing; the account now has no recovery code.
    const again = new TestBrowser(h);
    await fails(again.post('/api/auth/recover', { recoveryVerifier }), 401, 'RECOVERY_REFUSED');
    expect((await ok<Bundle>(lost.request('/api/account'))).recoveryWrap).toBeNull();

    // The recovery counts as a fresh proof: the browser sends a new code's wrap and verifier at once.
    const replacement = await newRecoveryCode();
    await ok(
      lost.request('/api/account/recovery', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(replacement),
      }),
      204,
    );
    expect((await ok<Bundle>(lost.request('/api/account'))).recoveryWrap).toEqual(replacement.recoveryWrap);

    // A session the recovery started belongs to no passkey: removing the old passkey leaves it.
    await addPasskey(lost, lost.authenticator);
    const removed = await ok<{ endedSessions: number; signedOut: boolean }>(
      lost.request(`/api/account/passkeys/${request.response.id}`, { method: 'DELETE' }),
    );
    expect(removed).toEqual({ endedSessions: 0, signedOut: false });

    later(h, minutes(1));
    const third = new TestBrowser(h);
    expect(
      (await ok<Bundle>(third.post('/api/auth/recover', { recoveryVerifier: replacement.recoveryVerifier }))).userId,
    ).toBe(bundle.userId);
    await fails(lost.request('/api/usage'), 401, 'UNAUTHENTICATED');
  });

  it('lets one of two recoveries with the same code through when they race', async () => {
    // Recovery attempts are limited per address (5 in 15 minutes), and every test browser has the same one.
    later(h, minutes(16));
    const owner = new TestBrowser(h);
    const { recoveryVerifier } = await signUp(owner);
    const racers = [new TestBrowser(h), new TestBrowser(h), new TestBrowser(h)];
    const answers = await Promise.all(racers.map((racer) => racer.post('/api/auth/recover', { recoveryVerifier })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401]);
  });
});
