/**
 * The account screens of the built web app (web/build), in Chromium with a CDP virtual authenticator, with PRF and
 * without: sign up with the recovery-kit step, sign out, sign in, unlock after a reload and after locking, add a
 * passkey and remove the old one in settings, recover with the code. The passphrase and the recovery code must never
 * appear in a request.
 */
import { chromium, type Browser, type CDPSession, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { createAccountToRecoveryKit, finishUnlock } from './sign-up.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';

const PASSPHRASE = 'lantern quiver 42 meadow basalt';

describe.each([true, false])('account screens in Chromium, authenticator with PRF: %s', (hasPrf) => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let recoveryCode = '';
  /** The code a recovery made to replace the one it used up. */
  let newRecoveryCode = '';
  const bodies: string[] = [];
  const consoleErrors: string[] = [];

  const addAuthenticator = () => addVirtualAuthenticator(cdp, hasPrf);
  let authenticator: string;

  /** Without PRF, the passphrase is asked after the passkey. */
  const unlockAfterPasskey = () => finishUnlock(page, hasPrf ? undefined : PASSPHRASE);

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext();
    page = await context.newPage();
    page.on('request', (request) => bodies.push(`${request.url()} ${request.postData() ?? ''}`));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    authenticator = await addAuthenticator();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs up, and will not go on before the recovery code is saved', async () => {
    recoveryCode = await createAccountToRecoveryKit(page, server.origin, hasPrf ? undefined : PASSPHRASE);
    expect(recoveryCode).toMatch(/^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$/);
    const next = page.getByRole('button', { name: 'Continue' });
    expect(await next.isDisabled()).toBe(true);
    expect(await page.getByRole('link', { name: 'Download the recovery kit' }).getAttribute('download')).toBe(
      'coffer-recovery-kit.txt',
    );
    await page.getByLabel('I have saved my recovery code').check();
    await next.click();
    await page.getByTestId('unlocked').waitFor();
  });

  it('signs out and in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await unlockAfterPasskey();
  });

  it('is locked after a reload or the Lock button, and unlocks again', async () => {
    await page.reload();
    await page.waitForURL('**/unlock');
    await page.getByRole('button', { name: 'Unlock with your passkey' }).click();
    await unlockAfterPasskey();
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.waitForURL('**/unlock');
    if (!hasPrf) {
      await page.getByLabel('Passphrase').fill('not it at all');
      await page.getByRole('button', { name: 'Unlock with passphrase' }).click();
      await page.getByText('that passphrase does not unlock this account').waitFor();
      await page.getByLabel('Passphrase').fill(PASSPHRASE);
      await page.getByRole('button', { name: 'Unlock with passphrase' }).click();
    } else {
      await page.getByRole('button', { name: 'Unlock with your passkey' }).click();
    }
    await page.getByTestId('unlocked').waitFor();
  });

  it('locks by itself after the idle time chosen in settings', async () => {
    await page.clock.install();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Lock after').selectOption('5');
    await page.clock.fastForward('04:00');
    expect(page.url()).toContain('/settings');
    await page.getByRole('heading', { name: 'Settings' }).click();
    await page.clock.fastForward('04:30');
    expect(page.url()).toContain('/settings');
    await page.clock.fastForward('01:00');
    await page.waitForURL('**/unlock');
    await page.getByRole('button', { name: 'Unlock with your passkey' }).click();
    await unlockAfterPasskey();
  });

  it('adds a passkey on another authenticator in settings, and removes the first', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const passkeys = page.getByTestId('passkeys').getByRole('listitem');
    await expect.poll(() => passkeys.count()).toBe(1);
    await expect
      .poll(async () => (await page.getByTestId('fingerprint').textContent())!.trim().split(' ').length)
      .toBe(12);
    // The first authenticator would refuse a second passkey for the same account: use another.
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
    authenticator = await addAuthenticator();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect.poll(() => passkeys.count()).toBe(2);
    expect(await passkeys.nth(1).textContent()).toContain(hasPrf ? 'unlocks your files' : 'signs in only');
    await passkeys.nth(1).getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Name').fill('Phone');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => passkeys.nth(1).textContent()).toContain('Phone');
    // This browser signed in with the first: removing it signs this browser out, and the phone's signs in again.
    expect(await passkeys.nth(0).textContent()).toContain('this browser signed in with it');
    await passkeys.nth(0).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await unlockAfterPasskey();
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => passkeys.count()).toBe(1);
    expect(await passkeys.nth(0).textContent()).toContain('Phone');
    await passkeys.nth(0).getByRole('button', { name: 'Remove' }).click();
    await page.getByText('last passkey of the account').waitFor();
    await expect.poll(() => page.getByTestId('sessions').getByRole('listitem').count()).toBe(1);
  });

  it('recovers with the code after the authenticator is gone, shows the new code once, and adds a passkey', async () => {
    await page.goto(server.origin);
    await page
      .getByTestId('unlocked')
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await page.goto(`${server.origin}/unlock`);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
    await page.evaluate(() => fetch('/api/account/sign-out', { method: 'POST' }));
    await page.goto(`${server.origin}/recover`);
    await page.getByLabel('Recovery code').fill(recoveryCode.toLowerCase().replaceAll('-', ' '));
    await page.getByRole('button', { name: 'Recover' }).click();
    // The code typed is used up; its replacement is shown once, like at sign-up.
    const replacement = (await page.getByTestId('recovery-code').textContent())!.trim();
    expect(replacement).toMatch(/^([0-9A-Z]{4}-){12}[0-9A-Z]{4}$/);
    expect(replacement).not.toBe(recoveryCode);
    newRecoveryCode = replacement;
    await page.getByLabel('I have saved my recovery code').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    authenticator = await addAuthenticator();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByTestId('unlocked').waitFor();
  });

  it('never sent the passphrase or the recovery code, and the page broke no CSP rule', () => {
    expect(bodies.length).toBeGreaterThan(10);
    const codes = [recoveryCode, newRecoveryCode].flatMap((code) => [code, code.replaceAll('-', '')]);
    expect(newRecoveryCode).not.toBe('');
    const leaks = bodies.filter((body) => body.includes(PASSPHRASE) || codes.some((code) => body.includes(code)));
    expect(leaks).toEqual([]);
    expect(
      consoleErrors.filter((text) => /Content Security Policy/i.test(text)),
      consoleErrors.join('\n'),
    ).toEqual([]);
  });
});

describe('the web app in a browser without passkeys', () => {
  it('says so plainly instead of offering to sign up', async () => {
    const server = await startAppServer('web app');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.addInitScript(() => Reflect.deleteProperty(window, 'PublicKeyCredential'));
      await page.goto(server.origin);
      await page.getByText('This browser cannot use passkeys').waitFor();
      expect(await page.getByRole('link', { name: 'Create an account' }).count()).toBe(0);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
