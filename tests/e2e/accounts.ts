/**
 * People in the built web app for the e2e tests: each at their own browser (a Playwright context) with their own
 * passkey provider (a CDP virtual authenticator with PRF), signed up through the app's screens; and the steps they
 * take in it often.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { signUpWithPasskey } from './sign-up.ts';

/** A new page in `context` with a passkey provider of its own: a virtual authenticator, with PRF unless told not. */
export async function pageWithPasskeyProvider(context: BrowserContext, hasPrf = true): Promise<Page> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await addVirtualAuthenticator(cdp, hasPrf);
  return page;
}

/** A new account, signed up with a PRF passkey in a new page of `context`, left unlocked on its first screen. */
export async function signUpIn(context: BrowserContext, origin: string): Promise<Page> {
  const page = await pageWithPasskeyProvider(context);
  await signUpWithPasskey(page, origin);
  return page;
}

/** A new account, signed up in a browser of its own, left unlocked on its first screen. */
export async function signUpPerson(
  browser: Browser,
  origin: string,
  options: BrowserContextOptions = {},
): Promise<Page> {
  return signUpIn(await browser.newContext(options), origin);
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
