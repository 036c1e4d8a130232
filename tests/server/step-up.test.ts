/**
 * Step-up: a session cookie alone cannot change the account's passkeys, passphrase, recovery code or other sessions;
 * a passkey check from the last five minutes on that session can. Removing a passkey ends the sessions it started, and
 * a passkey's signature counter moves by compare-and-set, so that cloned uses racing each other cannot both pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../server/http/auth.ts';
import { newPassphraseParams } from '../../shared/crypto/passphrase-kdf.ts';
import { TestBrowser } from './browser.ts';
import { fails, json, ok } from './client.ts';
import { createHarness, ORIGIN, type Harness } from './harness.ts';
import {
  addPasskey,
  auditTypes,
  later,
  minutes,
  newRecoveryCode,
  random,
  signIn,
  signUp,
  someWrap,
  stepUp,
  type Options,
} from './passkey-accounts.ts';
import { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const passphraseWrap = async () => ({
  passphraseWrap: { ...newPassphraseParams(), wrapped: await someWrap() },
});

const put = (body: unknown): RequestInit => ({ ...json(body), method: 'PUT' });

describe.each(DATABASE_KINDS)('step-up on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  /** A laptop that signed up, a phone signed in with the same passkey: two sessions of one account. */
  async function twoSessions() {
    const laptop = new TestBrowser(h);
    const { bundle } = await signUp(laptop);
    const phone = new TestBrowser(h, laptop.authenticator);
    await ok(signIn(phone));
    const { sessions } = await ok<{ sessions: { id: string; current: boolean }[] }>(
      laptop.request('/api/account/sessions'),
    );
    return { laptop, phone, bundle, phoneSession: sessions.find((session) => !session.current)!.id };
  }

  it('refuses every credential change from a session without a passkey check in the last 5 minutes', async () => {
    const { laptop, bundle, phoneSession } = await twoSessions();
    later(h, minutes(6));
    const credentialId = bundle.prfWraps[0]!.credentialId;
    const changes: [string, string, RequestInit][] = [
      ['add a passkey (options)', '/api/account/passkeys/options', json({})],
      ['add a passkey', '/api/account/passkeys', json({})],
      ['remove a passkey', `/api/account/passkeys/${credentialId}`, { method: 'DELETE' }],
      ['change the passphrase', '/api/account/passphrase', put(await passphraseWrap())],
      ['change the recovery code', '/api/account/recovery', put(await newRecoveryCode())],
      ['sign out another session', `/api/account/sessions/${phoneSession}`, { method: 'DELETE' }],
      ['sign out everywhere', '/api/account/sign-out-everywhere', json({})],
    ];
    for (const [what, path, init] of changes) {
      const message = await fails(laptop.request(path, init), 403, 'STEP_UP_REQUIRED');
      expect(message, what).toBe(
        'confirm it is you with your passkey: this needs a passkey check from the last 5 minutes',
      );
    }
    // Nothing changed: the phone is still signed in, the passkey still there.
    await ok(laptop.request('/api/usage'));
    const { passkeys } = await ok<{ passkeys: unknown[] }>(laptop.request('/api/account/passkeys'));
    expect(passkeys).toHaveLength(1);

    // Reading, renaming and signing this browser out need no step-up.
    await ok(laptop.request('/api/account/sessions'));
    await ok(
      laptop.request(`/api/account/passkeys/${credentialId}`, {
        ...json({ encryptedLabel: random(80) }),
        method: 'PATCH',
      }),
      204,
    );
  });

  it('refuses a session made without any passkey, as a stolen cookie would be', async () => {
    const user = await h.makeUser();
    await fails(user.request('/api/account/passphrase', put(await passphraseWrap())), 403, 'STEP_UP_REQUIRED');
    await fails(user.request('/api/account/sign-out-everywhere', json({})), 403, 'STEP_UP_REQUIRED');
  });

  it('lets the same changes through after a step-up, until it is 5 minutes old, and audits it', async () => {
    const { laptop, phone, bundle, phoneSession } = await twoSessions();
    later(h, minutes(6));
    const { validUntil } = await ok<{ validUntil: string }>(stepUp(laptop));
    expect(new Date(validUntil).getTime()).toBe(h.clock.now.getTime() + minutes(5));
    await ok(laptop.request('/api/account/passphrase', put(await passphraseWrap())), 204);
    await ok(laptop.request('/api/account/recovery', put(await newRecoveryCode())), 204);
    const second = await addPasskey(laptop, new SoftAuthenticator(ORIGIN));
    later(h, minutes(4));
    await ok(laptop.request(`/api/account/sessions/${phoneSession}`, { method: 'DELETE' }), 204);
    await fails(phone.request('/api/usage'), 401, 'UNAUTHENTICATED');
    // Six minutes after the step-up: stale.
    later(h, minutes(2));
    await fails(laptop.request(`/api/account/passkeys/${second}`, { method: 'DELETE' }), 403, 'STEP_UP_REQUIRED');
    await ok(stepUp(laptop));
    await ok(laptop.request(`/api/account/passkeys/${second}`, { method: 'DELETE' }));
    await ok(laptop.post('/api/account/sign-out-everywhere'), 204);
    expect(await auditTypes(h, bundle.userId)).toEqual([
      'sign-up',
      'passkey-added',
      'sign-in',
      'step-up',
      'passphrase-changed',
      'recovery-changed',
      'passkey-added',
      'session-revoked',
      'step-up',
      'passkey-removed',
      'sign-out-everywhere',
    ]);
  });

  it('counts a sign-in as a fresh step-up for its own session only', async () => {
    const { laptop, phone, phoneSession } = await twoSessions();
    later(h, minutes(6));
    await ok(signIn(phone));
    await ok(phone.request('/api/account/passphrase', put(await passphraseWrap())), 204);
    // The laptop's session is as old as it was.
    await fails(laptop.request(`/api/account/sessions/${phoneSession}`, { method: 'DELETE' }), 403, 'STEP_UP_REQUIRED');
  });

  it('checks the step-up assertion: its challenge, this session, and user verification of a registered passkey', async () => {
    const { laptop, phone, bundle } = await twoSessions();
    later(h, minutes(6));
    // A challenge issued to the phone's session does not step the laptop up.
    const { options } = await ok<Options & { options: never }>(phone.post('/api/account/step-up/options'));
    expect((options as { allowCredentials: { id: string }[] }).allowCredentials.map((c) => c.id)).toEqual([
      bundle.prfWraps[0]!.credentialId,
    ]);
    const forPhone = await laptop.authenticator.get(options);
    expect(await fails(laptop.post('/api/account/step-up', { response: forPhone }), 400, 'BAD_CHALLENGE')).toContain(
      'another browser or session',
    );
    // A sign-in challenge is not a step-up challenge.
    const signInChallenge = await ok<Options & { options: never }>(laptop.post('/api/auth/sign-in/options'));
    const response = await laptop.authenticator.get(signInChallenge.options);
    expect(await fails(laptop.post('/api/account/step-up', { response }), 400, 'BAD_CHALLENGE')).toContain(
      'issued for sign-in',
    );
    // Replayed.
    const fresh = await ok<Options & { options: never }>(laptop.post('/api/account/step-up/options'));
    const once = await laptop.authenticator.get(fresh.options);
    await ok(laptop.post('/api/account/step-up', { response: once }));
    await fails(laptop.post('/api/account/step-up', { response: once }), 400, 'BAD_CHALLENGE');
    // Another origin.
    later(h, minutes(6));
    const phishing = await ok<Options & { options: never }>(laptop.post('/api/account/step-up/options'));
    const elsewhere = await laptop.authenticator.get(phishing.options, { origin: 'https://coffer.example.evil' });
    await fails(laptop.post('/api/account/step-up', { response: elsewhere }), 401, 'WEBAUTHN_REFUSED');
    await fails(laptop.post('/api/account/sign-out-everywhere'), 403, 'STEP_UP_REQUIRED');
    expect(await auditTypes(h, bundle.userId)).toContain('step-up-failed');
  });

  it('ends the sessions a removed passkey started, this one too, and none that another passkey started', async () => {
    const laptop = new TestBrowser(h);
    const { bundle } = await signUp(laptop);
    const first = bundle.prfWraps[0]!.credentialId;
    const secondBrowser = new TestBrowser(h, laptop.authenticator);
    await ok(signIn(secondBrowser));
    const phone = new TestBrowser(h, new SoftAuthenticator(ORIGIN));
    const second = await addPasskey(laptop, phone.authenticator);
    await ok(signIn(phone));
    const listed = await ok<{ passkeys: { id: string; startedThisSession: boolean }[] }>(
      phone.request('/api/account/passkeys'),
    );
    expect(listed.passkeys.map((passkey) => [passkey.id, passkey.startedThisSession])).toEqual([
      [first, false],
      [second, true],
    ]);

    const removed = await ok<{ endedSessions: number; signedOut: boolean }>(
      phone.request(`/api/account/passkeys/${first}`, { method: 'DELETE' }),
    );
    expect(removed).toEqual({ endedSessions: 2, signedOut: false });
    await fails(laptop.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await fails(secondBrowser.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await ok(phone.request('/api/usage'));

    // Removing the passkey this browser signed in with signs it out too.
    await addPasskey(phone, new SoftAuthenticator(ORIGIN));
    const own = await ok<{ endedSessions: number; signedOut: boolean }>(
      phone.request(`/api/account/passkeys/${second}`, { method: 'DELETE' }),
    );
    expect(own).toEqual({ endedSessions: 1, signedOut: true });
    expect(phone.cookies.has(SESSION_COOKIE)).toBe(false);
    await fails(phone.request('/api/usage'), 401, 'UNAUTHENTICATED');
  });

  it('lets only one of several sign-ins with the same counter through: the counter moves by compare-and-set', async () => {
    const owner = new TestBrowser(h);
    const { bundle } = await signUp(owner);
    // Clones of one authenticator, each signing its own challenge with the same counter, all at once.
    const clones = Array.from({ length: 4 }, () => new TestBrowser(h, owner.authenticator));
    const challenges = await Promise.all(
      clones.map(
        async (clone) => (await ok<Options & { options: never }>(clone.post('/api/auth/sign-in/options'))).options,
      ),
    );
    const responses = await Promise.all(challenges.map((options) => owner.authenticator.get(options, { counter: 7 })));
    const answers = await Promise.all(
      clones.map((clone, i) => clone.post('/api/auth/sign-in/verify', { response: responses[i] })),
    );
    const outcomes = await Promise.all(
      answers.map(async (answer) =>
        answer.ok ? 'signed in' : ((await answer.json()) as { error: { code: string } }).error.code,
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'signed in')).toHaveLength(1);
    expect(
      outcomes
        .filter((outcome) => outcome !== 'signed in')
        .every((code) => ['CONCURRENT_USE', 'WEBAUTHN_REFUSED'].includes(code)),
    ).toBe(true);
    const failures = (await auditTypes(h, bundle.userId)).filter((type) => type === 'sign-in-failed');
    expect(failures).toHaveLength(3);
  });
});
