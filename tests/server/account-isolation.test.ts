/**
 * Two accounts, A and B, each signed in with its own passkey: B, even stepped up, can neither see nor change A's
 * passkeys, sessions, recovery code or security log, and cannot step up with A's passkey or A's challenge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './browser.ts';
import { fails, json, ok } from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import {
  later,
  minutes,
  newRecoveryCode,
  random,
  signIn,
  signUp,
  stepUp,
  type Bundle,
  type Options,
} from './passkey-accounts.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

interface Passkey {
  id: string;
  encryptedLabel: string | null;
}
interface Session {
  id: string;
  current: boolean;
}

describe.each(DATABASE_KINDS)('one account against another on %s', (kind) => {
  let h: Harness;
  let a: TestBrowser;
  let aElsewhere: TestBrowser;
  let b: TestBrowser;
  let aPasskey: string;
  let aSession: string;
  let aRecovery: string;
  let aLabel: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    a = new TestBrowser(h);
    const signedUp = await signUp(a);
    aPasskey = signedUp.bundle.prfWraps[0]!.credentialId;
    aRecovery = signedUp.recoveryVerifier;
    aElsewhere = new TestBrowser(h, a.authenticator);
    await ok(signIn(aElsewhere));
    aSession = (await ok<{ sessions: Session[] }>(a.request('/api/account/sessions'))).sessions.find(
      (session) => session.current,
    )!.id;
    aLabel = random(80);
    await ok(
      a.request(`/api/account/passkeys/${aPasskey}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ encryptedLabel: aLabel }),
      }),
      204,
    );
    b = new TestBrowser(h);
    await signUp(b);
  });
  afterAll(() => h.close());

  const aPasskeys = async () => (await ok<{ passkeys: Passkey[] }>(a.request('/api/account/passkeys'))).passkeys;

  it("lists only B's own passkeys and sessions", async () => {
    const passkeys = (await ok<{ passkeys: Passkey[] }>(b.request('/api/account/passkeys'))).passkeys;
    expect(passkeys).toHaveLength(1);
    expect(passkeys.map((passkey) => passkey.id)).not.toContain(aPasskey);
    const sessions = (await ok<{ sessions: Session[] }>(b.request('/api/account/sessions'))).sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions.map((session) => session.id)).not.toContain(aSession);
    const events = (await ok<{ events: { type: string }[] }>(b.request('/api/account/security-events'))).events;
    expect(events.map((event) => event.type)).toEqual(['passkey-added', 'sign-up']);
  });

  it("cannot rename, remove or use A's passkey, even stepped up", async () => {
    await fails(
      b.request(`/api/account/passkeys/${aPasskey}`, { ...json({ encryptedLabel: random(80) }), method: 'PATCH' }),
      404,
      'NOT_FOUND',
    );
    await ok(stepUp(b));
    await fails(b.request(`/api/account/passkeys/${aPasskey}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
    expect(await aPasskeys()).toEqual([expect.objectContaining({ id: aPasskey, encryptedLabel: aLabel })]);
    await ok(aElsewhere.request('/api/usage'));
  });

  it("cannot sign out A's sessions, even stepped up", async () => {
    await ok(stepUp(b));
    await fails(b.request(`/api/account/sessions/${aSession}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
    await ok(a.request('/api/usage'));
    // Signing out everywhere means B's own sessions only.
    await ok(b.post('/api/account/sign-out-everywhere'), 204);
    await ok(a.request('/api/usage'));
    await ok(aElsewhere.request('/api/usage'));
    await fails(b.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await ok(signIn(b));
  });

  it("cannot step up with A's passkey, nor with a challenge issued to A", async () => {
    later(h, minutes(6));
    const refused = await fails(stepUp(b, a.authenticator), 401, 'NOT_THIS_ACCOUNT');
    expect(refused).toContain('another account');
    await fails(b.post('/api/account/sign-out-everywhere'), 403, 'STEP_UP_REQUIRED');

    const { options } = await ok<Options & { options: never }>(a.post('/api/account/step-up/options'));
    const signedByB = await b.authenticator.get(options);
    await fails(b.post('/api/account/step-up', { response: signedByB }), 400, 'BAD_CHALLENGE');
    const signedByA = await a.authenticator.get(options);
    await fails(b.post('/api/account/step-up', { response: signedByA }), 400, 'BAD_CHALLENGE');
    await fails(b.post('/api/account/sign-out-everywhere'), 403, 'STEP_UP_REQUIRED');
  });

  it("changes only B's own recovery code", async () => {
    await ok(stepUp(b));
    const replacement = await newRecoveryCode();
    await ok(
      b.request('/api/account/recovery', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(replacement),
      }),
      204,
    );
    const aBundle = await ok<Bundle>(a.request('/api/account'));
    expect(aBundle.recoveryWrap).not.toEqual(replacement.recoveryWrap);
    const recovered = await ok<Bundle>(new TestBrowser(h).post('/api/auth/recover', { recoveryVerifier: aRecovery }));
    expect(recovered.userId).toBe(aBundle.userId);
  });
});
