import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../server/http/auth.ts';
import { TestBrowser } from './browser.ts';
import { fails, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import {
  auditTypes,
  publicKey,
  random,
  signIn,
  signUp,
  someWrap,
  type Bundle,
  type Options,
} from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS, queryRows } from '../../tools/harness/test-databases.ts';

describe.each(DATABASE_KINDS)('passkey accounts on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it('signs up with a passkey and hands back only wrapped keys, then signs out and in again', async () => {
    const browser = new TestBrowser(h);
    const { bundle, request } = await signUp(browser);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(bundle.prfWraps).toEqual([{ credentialId: request.response.id, ...request.prfWrap }]);
    expect(bundle.recoveryWrap).toEqual(request.recoveryWrap);
    expect(bundle.privateKeys).toEqual(request.privateKeys);
    expect(bundle.publicKeys).toEqual(request.publicKeys);
    expect(await ok<Bundle>(browser.request('/api/account'))).toMatchObject({ userId: bundle.userId });

    await ok(browser.post('/api/account/sign-out'), 204);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    await fails(browser.request('/api/account'), 401, 'UNAUTHENTICATED');

    const signedIn = await ok<Bundle>(signIn(browser));
    expect(signedIn.userId).toBe(bundle.userId);
    expect(signedIn.credentialId).toBe(request.response.id);
    expect(signedIn.prfWraps[0]!.wrapped).toBe(request.prfWrap.wrapped);
    await ok(browser.request('/api/usage'));
    expect(await auditTypes(h, bundle.userId)).toEqual(['sign-up', 'passkey-added', 'sign-out', 'sign-in']);
  });

  it('refuses an account that could never be unlocked, and weak passphrase parameters', async () => {
    const browser = new TestBrowser(h);
    const { options } = await ok<Options & { options: never }>(browser.post('/api/auth/sign-up/options'));
    const response = await browser.authenticator.create(options);
    const base = {
      response,
      recoveryWrap: { salt: random(32), wrapped: await someWrap() },
      recoveryVerifier: random(32),
      publicKeys: { sharing: publicKey(), signing: publicKey() },
      privateKeys: { sharing: await someWrap(), signing: await someWrap() },
    };
    const message = await fails(browser.post('/api/auth/sign-up/verify', base), 400, 'VALIDATION');
    expect(message).toContain('PRF wrap or a passphrase wrap');
    const weak = { kdf: 'PBKDF2-SHA256', iterations: 100_000, salt: random(16), wrapped: await someWrap() };
    expect(
      await fails(browser.post('/api/auth/sign-up/verify', { ...base, passphraseWrap: weak }), 400, 'VALIDATION'),
    ).toContain('passphraseWrap.iterations');
  });

  it('keeps a passphrase wrap of either KDF as sent, refuses Argon2id parameters out of bounds, and replaces it', async () => {
    const browser = new TestBrowser(h);
    const legacy = { kdf: 'PBKDF2-SHA256', iterations: 600_000, salt: random(16), wrapped: await someWrap() };
    const { bundle } = await signUp(browser, { passphraseWrap: legacy });
    expect(bundle.passphraseWrap).toEqual(legacy);
    const argon2 = {
      kdf: 'Argon2id',
      memoryKiB: 65536,
      passes: 3,
      parallelism: 1,
      salt: random(16),
      wrapped: await someWrap(),
    };
    const put = (passphraseWrap: unknown) =>
      browser.request('/api/account/passphrase', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ passphraseWrap }),
      });
    const outOfBounds: [Record<string, unknown>, string][] = [
      [{ memoryKiB: 19 * 1024 - 1 }, 'passphraseWrap.memoryKiB'],
      [{ memoryKiB: 1024 * 1024 + 1, passes: 1 }, 'passphraseWrap.memoryKiB'],
      [{ passes: 11 }, 'passphraseWrap.passes'],
      [{ memoryKiB: 19 * 1024, passes: 1 }, 'passphraseWrap.passes: memoryKiB × passes'],
      [{ memoryKiB: 1024 * 1024, passes: 3 }, 'passphraseWrap.passes: memoryKiB × passes'],
      [{ parallelism: 5 }, 'passphraseWrap.parallelism'],
      [{ memoryKiB: 65536.5 }, 'passphraseWrap.memoryKiB'],
      [{ salt: random(15) }, 'passphraseWrap.salt'],
      [{ iterations: 600_000 }, 'Unrecognized key: "iterations"'],
    ];
    for (const [change, complaint] of outOfBounds) {
      expect(await fails(put({ ...argon2, ...change }), 400, 'VALIDATION')).toContain(complaint);
    }
    await ok(put(argon2), 204);
    expect((await ok<Bundle>(browser.request('/api/account'))).passphraseWrap).toEqual(argon2);
  });

  it('takes each challenge once, within five minutes, from the browser that asked for it', async () => {
    const browser = new TestBrowser(h);
    await signUp(browser);
    await ok(browser.post('/api/account/sign-out'), 204);
    const { options } = await ok<Options & { options: never }>(browser.post('/api/auth/sign-in/options'));
    const response = await browser.authenticator.get(options);
    await ok(browser.post('/api/auth/sign-in/verify', { response }));
    // Replayed: the same signed response again.
    expect(await fails(browser.post('/api/auth/sign-in/verify', { response }), 400, 'BAD_CHALLENGE')).toContain(
      'already used',
    );
    // Expired.
    await ok(browser.post('/api/account/sign-out'), 204);
    const late = await ok<Options & { options: never }>(browser.post('/api/auth/sign-in/options'));
    const lateResponse = await browser.authenticator.get(late.options);
    h.clock.now = new Date(h.clock.now.getTime() + 6 * 60 * 1000);
    expect(
      await fails(browser.post('/api/auth/sign-in/verify', { response: lateResponse }), 400, 'BAD_CHALLENGE'),
    ).toContain('expired');
    // Issued to another browser: a challenge cookie of its own.
    const fresh = await ok<Options & { options: never }>(browser.post('/api/auth/sign-in/options'));
    const other = new TestBrowser(h, browser.authenticator);
    const stolen = await browser.authenticator.get(fresh.options);
    expect(await fails(other.post('/api/auth/sign-in/verify', { response: stolen }), 400, 'BAD_CHALLENGE')).toContain(
      'another browser',
    );
    // Made up.
    const invented = await browser.authenticator.get({ challenge: random(32), rpId: 'localhost' } as never);
    expect(
      await fails(browser.post('/api/auth/sign-in/verify', { response: invented }), 400, 'BAD_CHALLENGE'),
    ).toContain('not issued');
  });

  it('checks origin, counter and credential, and records the failures', async () => {
    const browser = new TestBrowser(h);
    const { bundle } = await signUp(browser);
    await ok(browser.post('/api/account/sign-out'), 204);

    const phishing = await fails(signIn(browser, { origin: 'https://coffer.example.evil' }), 401, 'WEBAUTHN_REFUSED');
    expect(phishing).toContain('https://coffer.example.evil');
    expect(phishing).toContain(ORIGIN);

    await ok(signIn(browser));
    await ok(browser.post('/api/account/sign-out'), 204);
    // A cloned authenticator reports a counter that did not advance.
    const cloned = await fails(signIn(browser, { counter: 1 }), 401, 'WEBAUTHN_REFUSED');
    expect(cloned).toMatch(/counter/i);

    const stranger = new TestBrowser(h);
    await signUp(stranger);
    await ok(stranger.post('/api/account/sign-out'), 204);
    stranger.authenticator.credentials.at(-1)!.id = crypto.getRandomValues(new Uint8Array(16));
    await fails(signIn(stranger), 401, 'UNKNOWN_CREDENTIAL');

    expect((await auditTypes(h, bundle.userId)).filter((type) => type === 'sign-in-failed')).toHaveLength(2);
  });

  it('refuses changes without the public origin', async () => {
    const browser = new TestBrowser(h);
    await fails(
      browser.request('/api/auth/sign-in/options', { method: 'POST', headers: { origin: '' } }),
      403,
      'BAD_ORIGIN',
    );
    const response = await h.app.request('/api/auth/sign-in/options', {
      method: 'POST',
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(await fails(response, 403, 'BAD_ORIGIN')).toContain('https://elsewhere.example');
  });

  it('adds a second passkey, signs in with it, removes one, and never the last', async () => {
    const browser = new TestBrowser(h);
    const { bundle } = await signUp(browser);
    const { options } = await ok<Options & { options: never }>(browser.post('/api/account/passkeys/options'));
    const phone = new SoftAuthenticator(ORIGIN);
    const added = await phone.create(options);
    await ok(
      browser.post('/api/account/passkeys', {
        response: added,
        prfWrap: { salt: random(32), wrapped: await someWrap() },
      }),
      201,
    );
    const { passkeys } = await ok<{ passkeys: { id: string; unlocks: boolean }[] }>(
      browser.request('/api/account/passkeys'),
    );
    expect(passkeys.map((passkey) => passkey.unlocks)).toEqual([true, true]);

    const onPhone = new TestBrowser(h, phone);
    const signedIn = await ok<Bundle>(signIn(onPhone));
    expect(signedIn.userId).toBe(bundle.userId);
    expect(signedIn.credentialId).toBe(added.id);

    const first = passkeys[0]!.id;
    await ok(onPhone.request(`/api/account/passkeys/${first}`, { method: 'DELETE' }));
    await fails(onPhone.request(`/api/account/passkeys/${added.id}`, { method: 'DELETE' }), 409, 'LAST_PASSKEY');
    await fails(signIn(browser), 401, 'UNKNOWN_CREDENTIAL');
    // Its PRF wrap went with it.
    expect((await ok<Bundle>(onPhone.request('/api/account'))).prfWraps.map((wrap) => wrap.credentialId)).toEqual([
      added.id,
    ]);
    expect(await auditTypes(h, bundle.userId)).toContain('passkey-removed');
  });

  it('recovers with the recovery key alone, after every passkey is gone, and enrols a new one', async () => {
    const browser = new TestBrowser(h);
    const { bundle, recoveryVerifier, request } = await signUp(browser);
    await ok(browser.post('/api/account/sign-out'), 204);
    const lost = new TestBrowser(h, new SoftAuthenticator(ORIGIN));
    await fails(lost.post('/api/auth/recover', { recoveryVerifier: random(32) }), 401, 'RECOVERY_REFUSED');
    const recovered = await ok<Bundle>(lost.post('/api/auth/recover', { recoveryVerifier }));
    expect(recovered.userId).toBe(bundle.userId);
    expect(recovered.recoveryWrap).toEqual(request.recoveryWrap);
    const { options } = await ok<Options & { options: never }>(lost.post('/api/account/passkeys/options'));
    await ok(lost.post('/api/account/passkeys', { response: await lost.authenticator.create(options) }), 201);
    await ok(lost.post('/api/account/sign-out'), 204);
    expect((await ok<Bundle>(signIn(lost))).userId).toBe(bundle.userId);
    expect(await auditTypes(h, bundle.userId)).toContain('recovery-used');
  });

  it('stops a session revoked from elsewhere at once, and signs out everywhere', async () => {
    const laptop = new TestBrowser(h);
    await signUp(laptop);
    const phone = new TestBrowser(h, laptop.authenticator);
    await ok(signIn(phone));
    const { sessions } = await ok<{ sessions: { id: string; current: boolean }[] }>(
      laptop.request('/api/account/sessions'),
    );
    expect(sessions).toHaveLength(2);
    const phoneSession = sessions.find((session) => !session.current)!;
    await ok(laptop.request(`/api/account/sessions/${phoneSession.id}`, { method: 'DELETE' }), 204);
    await fails(phone.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await ok(laptop.request('/api/usage'));

    await ok(signIn(phone));
    await ok(phone.post('/api/account/sign-out-everywhere'), 204);
    await fails(laptop.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await fails(phone.request('/api/usage'), 401, 'UNAUTHENTICATED');
  });

  it('slides the session expiry with use', async () => {
    const browser = new TestBrowser(h);
    await signUp(browser);
    for (let day = 0; day < 20; day++) {
      h.clock.now = new Date(h.clock.now.getTime() + 24 * 60 * 60 * 1000);
      await ok(browser.request('/api/usage'));
    }
    h.clock.now = new Date(h.clock.now.getTime() + 15 * 24 * 60 * 60 * 1000);
    await fails(browser.request('/api/usage'), 401, 'UNAUTHENTICATED');
  });

  it('limits sign-in attempts per address, in the database, with 429 and Retry-After', async () => {
    const browser = new TestBrowser(h);
    let refused: Response | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const response = await browser.post('/api/auth/sign-in/options');
      if (response.status === 429) refused = response;
    }
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await fails(refused!, 429, 'RATE_LIMITED')).toContain('30 sign-in attempts in a minute');
    const [row] = await queryRows<{ count: number }>(
      h.db,
      sql`select count from auth_rate_limits where bucket = 'sign-in:unknown'`,
    );
    expect(row!.count).toBeGreaterThan(30);
    h.clock.now = new Date(h.clock.now.getTime() + 61 * 1000);
    await ok(browser.post('/api/auth/sign-in/options'));
  });
});
