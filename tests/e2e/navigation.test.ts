/**
 * The app's navigation and page width in the built web app (issue 25, point 8): a sidebar with every destination on a
 * desktop, the same destinations behind a menu button on a phone (opened with the focus on its first link, closed by
 * Escape with the focus back on the button), one content column for every screen of an unlocked account, and the
 * dashboard's "Shared by me" listing a shared folder by its name with whom it is shared and as what.
 */
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPublicKey, generateAccountKeyPairs, generateNodeKey, makeGrant } from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';
import { signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';

/** The first account of an instance is its admin, so Admin is among its destinations. */
const DESTINATIONS = ['Home', 'Files', 'Shared with me', 'Links', 'Trash', 'Contacts', 'Settings', 'Admin'];
const PHONE = { width: 390, height: 844 };

describe('navigation and page width in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;

  const nav = () => page.getByRole('navigation', { name: 'Main' });
  const menuButton = () => page.getByRole('button', { name: 'Menu' });
  const visibleLinks = async () => {
    const links = await nav().getByRole('link').all();
    const shown = [];
    for (const link of links) if (await link.isVisible()) shown.push((await link.textContent())!.trim());
    return shown;
  };
  const mainWidth = async () => (await page.locator('main').boundingBox())!.width;

  /** Another account, made in its own browser, to share with. */
  async function otherAccount(): Promise<string> {
    const other = await signUpPerson(browser, server.origin);
    await other.context().close();
    const [row] = await queryRows<{ id: string }>(server.db, sql`select id from users where role = 'user'`);
    return row!.id;
  }

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await signUpPerson(browser, server.origin, { viewport: { width: 1280, height: 800 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows every destination in a sidebar on a desktop, the current one marked, and no menu button', async () => {
    expect(await visibleLinks()).toEqual(DESTINATIONS);
    expect(await menuButton().isVisible()).toBe(false);
    expect(await nav().getByRole('link', { name: 'Home' }).getAttribute('aria-current')).toBe('page');
    const sidebar = (await nav().boundingBox())!;
    const main = (await page.locator('main').boundingBox())!;
    expect(sidebar.x + sidebar.width).toBeLessThanOrEqual(main.x);
    await nav().getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
    expect(await nav().getByRole('link', { name: 'Files' }).getAttribute('aria-current')).toBe('page');
    expect(await nav().getByRole('link', { name: 'Home' }).getAttribute('aria-current')).toBe(null);
  });

  it('gives the dashboard, files, trash, settings and admin screens one content width', async () => {
    const widths: Record<string, number> = {};
    for (const [link, heading] of [
      ['Home', 'Your Coffer'],
      ['Files', 'My files'],
      ['Trash', 'Trash'],
      ['Settings', 'Settings'],
      ['Admin', 'Administration'],
    ] as const) {
      await nav().getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      widths[link] = await mainWidth();
    }
    expect(widths.Home).toBeGreaterThan(700);
    expect(widths).toEqual(Object.fromEntries(Object.keys(widths).map((key) => [key, widths.Home])));
  });

  it('puts the destinations behind a menu button on a phone, which Escape closes', async () => {
    await page.setViewportSize(PHONE);
    await nav().getByRole('link', { name: 'Home' }).waitFor({ state: 'hidden' });
    expect(await visibleLinks()).toEqual([]);
    expect(await menuButton().getAttribute('aria-expanded')).toBe('false');

    await menuButton().click();
    expect(await visibleLinks()).toEqual(DESTINATIONS);
    expect(await menuButton().getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Home');
    expect(await page.getByRole('button', { name: 'Lock', exact: true }).isVisible()).toBe(true);

    await page.keyboard.press('Tab');
    await page.keyboard.press('Escape');
    expect(await visibleLinks()).toEqual([]);
    expect(await menuButton().getAttribute('aria-expanded')).toBe('false');
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Menu');

    // Following a link closes the menu on the page it leads to.
    await menuButton().click();
    await nav().getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
    expect(await visibleLinks()).toEqual([]);
    // The page's column takes the phone's width, less its margins.
    expect(await mainWidth()).toBeGreaterThan(PHONE.width - 40);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('lists what the account shared under Shared by me, by name, with whom and as what, linking to it', async () => {
    await nav().getByRole('link', { name: 'Home' }).click();
    await page.getByText('Nothing shared yet.').waitFor();

    await nav().getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Holiday photos');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    // The folder's row is shown once the server has it.
    await page.getByRole('button', { name: 'Holiday photos', exact: true }).waitFor();
    const [folder] = await queryRows<{ id: string; owner_id: string }>(
      server.db,
      sql`select id, owner_id from nodes where parent_id is not null and kind = 'folder'`,
    );
    // The server checks a grant's terms, not its keys: a grant made here stands for the share dialog's.
    const recipientId = await otherAccount();
    const grant = await makeGrant({
      terms: {
        senderId: folder!.owner_id,
        recipientId,
        ownerId: folder!.owner_id,
        nodeId: folder!.id,
        kind: 'folder',
        role: 'editor',
      },
      nodeKey: generateNodeKey(),
      senderSigningKey: (await generateAccountKeyPairs()).signing.privateKey,
      recipientSharingKey: await exportPublicKey((await generateAccountKeyPairs()).sharing.publicKey),
    });
    const status = await page.evaluate(
      async (body) =>
        (await fetch('/api/shares', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status,
      JSON.stringify({ grant }),
    );
    expect(status).toBe(201);

    await nav().getByRole('link', { name: 'Home' }).click();
    const shared = page.getByTestId('shared-by-me');
    await shared.getByRole('link', { name: 'Holiday photos' }).waitFor();
    expect((await shared.textContent())!.replace(/\s+/g, ' ')).toContain(
      `account ${recipientId.slice(0, 8)}: can edit, not accepted yet`,
    );
    await shared.getByRole('link', { name: 'Holiday photos' }).click();
    await page.waitForURL(`**/files/${folder!.id}`);
  });
});
