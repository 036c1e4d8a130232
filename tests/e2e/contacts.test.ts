/**
 * Contact cards between two accounts in the built web app (issue 25, points 1 and 8), each person at their own browser
 * with their own passkey provider: Anna chooses a handle and reads her card's link and QR code off her Contacts page;
 * Ben opens the link while locked, unlocks, and finds Anna among his contacts as verified. Before that, with the
 * handle lookup answered with other keys (as a hostile server would), the same link is refused loudly and adds
 * nothing; once Anna is pinned, the Contacts page warns when the server gives other keys for her; and a card opened
 * signed out is taken up after the sign-in.
 */
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAccountKeyPairs } from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { chooseHandle, goTo, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { unlockWithPasskey } from './sign-up.ts';
import { substitutePublishedKeys } from './tamper.ts';

describe('contact cards between two accounts in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let anna: Page;
  let ben: Page;
  let card = '';

  /** Opens the card as a visitor would, in a fresh page load: locked, then unlocked, then taken back to the card. */
  const openCard = async (page: Page) => {
    await page.goto(card);
    await page.waitForURL('**/unlock');
    await page.getByRole('button', { name: 'Unlock with your passkey' }).click();
    await page.waitForURL('**/c/anna');
    expect(page.url()).not.toContain('#');
  };
  /** Ben's handle lookups for Anna answered with keys that are not hers, until the returned function is called. */
  const substituteAnnasKeys = async (): Promise<() => Promise<void>> =>
    (await substitutePublishedKeys(ben.context(), 'anna', await generateAccountKeyPairs())).restore;

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    anna = await signUpPerson(browser, server.origin);
    ben = await signUpPerson(browser, server.origin);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows one’s own card with its QR code once there is a handle', async () => {
    await goTo(anna, 'Contacts');
    await anna.getByText('You have no handle yet, so you have no card.').waitFor();
    await chooseHandle(anna, 'anna');
    await goTo(anna, 'Contacts');
    card = (await anna.getByTestId('card-url').textContent())!.trim();
    expect(card).toMatch(new RegExp(`^${server.origin}/c/anna#[A-Za-z0-9_-]{43}$`));
    await anna.getByRole('img', { name: 'QR code of your contact card' }).waitFor();
  });

  it('refuses a card whose fingerprint the server’s keys do not match, and adds nothing', async () => {
    const restore = await substituteAnnasKeys();
    try {
      await openCard(ben);
      await ben
        .getByRole('alert')
        .filter({ hasText: 'The keys the server gave for @anna do not match the card: do not trust this contact.' })
        .waitFor();
    } finally {
      await restore();
    }
    await goTo(ben, 'Contacts');
    await ben.getByText('None yet.').waitFor();
  });

  it('adds the card’s owner as a verified contact when the keys match', async () => {
    await openCard(ben);
    await ben.getByTestId('card-result').getByText('@anna is a verified contact').waitFor();
    await goTo(ben, 'Contacts');
    const annaRow = ben.getByTestId('contact').filter({ hasText: '@anna' });
    await annaRow.getByText('verified', { exact: true }).waitFor();
    // The words Ben now holds for Anna are those her own settings show.
    await goTo(anna, 'Settings');
    const annasWords = (await anna.getByTestId('fingerprint').textContent())!.trim();
    await annaRow.getByRole('button', { name: 'Fingerprint words of @anna' }).click();
    expect((await annaRow.getByTestId('contact-fingerprint').textContent())!.trim()).toBe(annasWords);
  });

  it('warns on the Contacts page when the server gives other keys for a pinned contact', async () => {
    const restore = await substituteAnnasKeys();
    try {
      await ben.reload();
      await unlockWithPasskey(ben);
      await goTo(ben, 'Contacts');
      const warning = ben.getByRole('alert').filter({ hasText: 'Warning: the keys of @anna have changed' });
      await warning.getByRole('button', { name: 'I compared the new words: accept the new keys' }).waitFor();
    } finally {
      await restore();
    }
  });

  it('keeps the card through a sign-in when it is opened signed out', async () => {
    await ben.getByRole('link', { name: 'Coffer' }).click();
    await ben.getByRole('button', { name: 'Sign out' }).click();
    await ben.goto(card);
    await ben.getByRole('link', { name: 'Sign in with a passkey' }).click();
    expect(ben.url()).not.toContain('#');
    await ben.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await ben.waitForURL('**/c/anna');
    await ben.getByTestId('card-result').getByText('@anna is a verified contact').waitFor();
  });
});
