/**
 * People in the built web app for the e2e tests: each at their own browser (a Playwright context) with their own
 * passkey provider (a CDP virtual authenticator with PRF), signed up through the app's screens; and the steps they
 * take in it often.
 */
import type { Browser, BrowserContextOptions, Page } from 'playwright';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { signUpWithPasskey } from './sign-up.ts';

/** A new account, signed up in a browser of its own, left unlocked on its first screen. */
export async function signUpPerson(
  browser: Browser,
  origin: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await addVirtualAuthenticator(cdp, true);
  await signUpWithPasskey(page, origin);
  return page;
}

/** Follows one of the main navigation's links, by its name. */
export async function goTo(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

/** Chooses the account's handle in its settings, where the page then stays. */
export async function chooseHandle(page: Page, handle: string): Promise<void> {
  await goTo(page, 'Settings');
  await page.getByLabel('Handle', { exact: true }).fill(handle);
  await page.getByRole('button', { name: 'Set handle' }).click();
  await page.getByText(`Your handle is now @${handle}.`).waitFor();
}
