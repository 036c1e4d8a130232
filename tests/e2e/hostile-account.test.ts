/**
 * A server that lies about the account, in the built web app in Chromium with a virtual authenticator (with PRF, and
 * without): it answers a sign-in for another passkey or another account than the assertion names, or publishes public
 * keys that are not the account's. The lie is mounted on the server's side of the page (Playwright rewriting the
 * JSON of the real server's answers); the app must refuse in plain words, and never show words for keys it cannot
 * vouch for.
 */
import { chromium, type Browser, type Page, type Route } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { pageWithPasskeyProvider } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { createAccountToRecoveryKit, finishUnlock } from './sign-up.ts';
import { hostileServer } from './hostile-server/attacks.ts';
import { tamperJson } from './tamper.ts';

const PASSPHRASE = 'harbor quill 77 meadow lantern';
const SIGN_IN = '**/api/auth/sign-in/verify';
const ACCOUNT = '**/api/account';

/** A P-256 public key that belongs to no Coffer account, as the server would publish one: SPKI, base64url. */
async function strangerPublicKey(): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, [
    'deriveBits',
  ])) as CryptoKeyPair;
  return Buffer.from(await crypto.subtle.exportKey('spki', pair.publicKey)).toString('base64url');
}

describe.each([true, false])('a server that lies about the account, authenticator with PRF: %s', (hasPrf) => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let recoveryCode = '';
  // Both runs (with PRF and without) must show the same words, so each checks the same published line.
  const hostile = hostileServer(import.meta.url);

  /** Serves the real answer with `change` applied to its JSON. */
  const rewrite = (change: (body: Record<string, unknown>) => void) => async (route: Route) => {
    // A request still in flight when its test moves on can lose its connection: it is dropped, not failed, since the
    // test's own checks say whether the rewritten answers it needed arrived.
    const response = await route.fetch().catch(() => null);
    if (!response) return route.abort().catch(() => undefined);
    const body = (await response.json()) as Record<string, unknown>;
    change(body);
    await route.fulfill({ response, json: body });
  };
  const signInPage = async () => {
    await page.goto(`${server.origin}/signin`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  };
  /** Without PRF, the passphrase is asked after the passkey. */
  const unlockAfterPasskey = () => finishUnlock(page, hasPrf ? undefined : PASSPHRASE);

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await pageWithPasskeyProvider(await browser.newContext(), hasPrf);
    recoveryCode = await createAccountToRecoveryKit(page, server.origin, hasPrf ? undefined : PASSPHRASE);
    await page.getByLabel('I have saved my recovery code').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('unlocked').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each([
    ['passkey', 'credentialId', 'another passkey than the one you used'],
    ['account', 'userId', 'another account than the one this passkey belongs to'],
  ])(
    'refuses a sign-in answered for another %s, in plain words, without asking for the passphrase',
    async (_, field, message) => {
      const forged = field === 'userId' ? crypto.randomUUID() : Buffer.from('another passkey').toString('base64url');
      await page.context().route(
        SIGN_IN,
        rewrite((body) => (body[field] = forged)),
      );
      try {
        await signInPage();
        const alert = page.getByRole('alert');
        await alert.filter({ hasText: message }).waitFor();
        expect(await alert.textContent()).toContain('Coffer stopped before unlocking anything');
        expect(await page.getByText('This passkey cannot unlock your files by itself').count()).toBe(0);
        expect(await page.getByLabel('Passphrase').count()).toBe(0);
        expect(await page.getByTestId('unlocked').count()).toBe(0);
      } finally {
        await page.context().unroute(SIGN_IN);
      }
    },
  );

  it('refuses a recovery answered without a recovery key, in plain words', async () => {
    const RECOVER = '**/api/auth/recover';
    await page.context().route(
      RECOVER,
      rewrite((body) => (body.recoveryWrap = null)),
    );
    try {
      await page.goto(`${server.origin}/recover`);
      await page.getByLabel('Recovery code').fill(recoveryCode);
      await page.getByRole('button', { name: 'Recover' }).click();
      await page.getByRole('alert').filter({ hasText: 'sent no recovery key for this account' }).waitFor();
      expect(await page.getByRole('button', { name: 'Add a passkey' }).count()).toBe(0);
    } finally {
      await page.context().unroute(RECOVER);
    }
  });

  it('shows the fingerprint of keys that are the account’s', async () => {
    await signInPage();
    await unlockAfterPasskey();
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect
      .poll(async () => (await page.getByTestId('fingerprint').textContent())!.trim().split(' ').length)
      .toBe(12);
    expect(await page.getByTestId('fingerprint-refused').count()).toBe(0);
  });

  it('warns when the server replays an older key set, refuses credential changes on it, and stays usable', async () => {
    const older = await page.evaluate(async () => (await fetch('/api/account')).json());
    await page.getByRole('button', { name: /Make a (new )?recovery code/ }).click();
    await page.getByLabel('I have saved my recovery code').waitFor();
    const seen = await hostile.attack({
      row: 10,
      attack: "the account's key set from before a new recovery code was made, replayed at the next sign-in",
      mount: () =>
        tamperJson<Record<string, unknown>>(page.context(), ACCOUNT, 'older key set', (body) => ({
          ...body,
          keySet: older.keySet,
          recoveryWrap: older.recoveryWrap,
        })),
      seen: async () => {
        await signInPage();
        await unlockAfterPasskey();
        const warning = page.getByTestId('key-set-warning');
        await warning.waitFor();
        return (await warning.textContent())!;
      },
      stillOpens: async () => {
        expect(await page.getByTestId('unlocked').count()).toBe(1);
        await page.getByRole('link', { name: 'Settings' }).click();
        await page.getByRole('button', { name: /Make a (new )?recovery code/ }).click();
        await page.getByRole('alert').filter({ hasText: 'Coffer made no change' }).waitFor();
      },
    });
    expect(seen).toContain(
      "The server showed an older version of your account's keys (version 1, this device has seen version 2).",
    );
  });

  it('publishes its attacks in docs/SECURITY.md', async () => {
    await hostile.checkPublished();
  });

  it('refuses, with no words, when the server publishes a public key that is not the account’s', async () => {
    const stranger = await strangerPublicKey();
    const publishStranger = rewrite((body) => {
      const publicKeys = body.publicKeys as Record<string, string> | undefined;
      if (publicKeys) publicKeys.sharing = stranger;
    });
    await page.context().route(SIGN_IN, publishStranger);
    await page.context().route(ACCOUNT, publishStranger);
    try {
      await signInPage();
      await unlockAfterPasskey();
      await page.getByRole('link', { name: 'Settings' }).click();
      const refused = page.getByTestId('fingerprint-refused');
      await refused.waitFor();
      expect(await refused.getAttribute('role')).toBe('alert');
      expect(await refused.textContent()).toContain(
        'The server is showing public keys that do not belong to your account.',
      );
      expect(await page.getByTestId('fingerprint').count()).toBe(0);
    } finally {
      await page.context().unroute(SIGN_IN);
      await page.context().unroute(ACCOUNT);
    }
  });
});
