/**
 * The stranger's side of share links in Firefox (issue 24): the owner makes a file link, a password link and a
 * file-request link in Chromium, with a virtual passkey (tests/e2e/link-owner.ts); Debian's Firefox ESR, headless and
 * driven over WebDriver BiDi, opens them with no account. It shows the file's name and size, refuses a wrong password
 * and takes the right one, and saves the same bytes streamed by the service worker, which takes the page over on the
 * first visit rather than leaving it to decrypt the file into a Blob; the test checks which path ran. Through the
 * request link it sends two files, with no error on the page, which the owner, still signed in, accepts and downloads
 * identical: the request page uses only what Firefox has (WebCrypto's ECDH, ECDSA, HKDF, HMAC and AES, and fetch), so it has no
 * other path to check.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser as ChromiumBrowser } from 'playwright';
import type { Page as OwnerPage } from 'playwright';
import type { Browser as FirefoxBrowser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { launchFirefox } from '../../tools/harness/firefox.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import {
  acceptRequestUploads,
  downloadFile,
  makeLink,
  makeRequestLink,
  signUpOwner,
  upload,
  type MadeLink,
} from './link-owner.ts';

const PASSWORD = 'Firefox opens it';

describe('share links opened in Firefox', () => {
  let server: AppServer;
  let owner: ChromiumBrowser;
  let firefox: FirefoxBrowser;
  let dir: string;
  let downloads: string;
  let fileLink: MadeLink;
  let passwordLink: MadeLink;
  let ownerPage: OwnerPage;
  let requestUrl: string;
  const report = Buffer.from(randomBytes(300_000));
  const sent = {
    'scan-one.bin': Buffer.from(randomBytes(150_000)),
    'scan-two.txt': Buffer.from('the second scan, sent from Firefox '.repeat(40)),
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-links-firefox-'));
    downloads = join(dir, 'downloads');
    server = await startAppServer('web app');
    owner = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    ownerPage = await signUpOwner(await owner.newContext(), server.origin);
    writeFileSync(join(dir, 'report.bin'), report);
    for (const [name, content] of Object.entries(sent)) writeFileSync(join(dir, name), content);
    await upload(ownerPage, [join(dir, 'report.bin')]);
    fileLink = await makeLink(ownerPage, 'report.bin');
    passwordLink = await makeLink(ownerPage, 'report.bin', { password: PASSWORD });
    // The owner stays signed in, to accept what the request link brings: a reload would lock the account.
    requestUrl = await makeRequestLink(ownerPage, 'from Firefox', 'Send the scans, please');
    firefox = await launchFirefox(downloads);
  }, 180_000);

  afterAll(async () => {
    await firefox?.close();
    await owner?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const text = (page: Page, testId: string) =>
    page.$eval(`[data-testid="${testId}"]`, (element) => element.textContent?.trim() ?? '');

  /** Waits until the page shows a heading with exactly this text. */
  const heading = (page: Page, name: string) =>
    page.waitForFunction(
      (name) => [...document.querySelectorAll('h1')].some((h) => h.textContent?.trim() === name),
      { timeout: 30_000 },
      name,
    );

  const clickButton = (page: Page, label: string) =>
    page.$$eval(
      'button',
      (buttons, label) => {
        const button = buttons.find((b) => b.textContent?.trim() === label);
        if (!button) throw new Error(`no button ${label}`);
        button.click();
      },
      label,
    );

  const controllerState = (page: Page) => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null);

  /** The file Firefox saved after `start`, once it is whole (no .part file beside it); taken out of the folder. */
  async function downloaded(start: () => Promise<unknown>): Promise<Buffer> {
    await start();
    const path = join(downloads, 'report.bin');
    const deadline = Date.now() + 30_000;
    while (!(existsSync(path) && readdirSync(downloads).every((name) => !name.endsWith('.part')))) {
      if (Date.now() > deadline) throw new Error(`no download in ${downloads}: ${readdirSync(downloads).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statSync(path).size).toBe(report.length);
    const bytes = readFileSync(path);
    rmSync(path);
    return bytes;
  }

  it('opens a file link: its name and size, and on this first visit the same bytes streamed by the worker', async () => {
    const page = await firefox.newPage();
    await page.goto(fileLink.url);
    await heading(page, 'report.bin');
    expect(page.url()).toBe(`${server.origin}/s/${fileLink.id}`);
    expect(await text(page, 'link-size')).toMatch(/^300 KB · modified /);
    // A first visit: the page was loaded with no service worker, whose install it started.
    expect(
      await page.evaluate(() =>
        performance.getEntriesByType('navigation').map((entry) => (entry as PerformanceNavigationTiming).workerStart),
      ),
    ).toEqual([0]);
    // The worker claims the page as it activates, and the download waits for it: it streams through the worker,
    // decrypting as the download manager writes it, from the hidden frame only that path opens (no Blob is made).
    expect((await downloaded(() => clickButton(page, 'Download'))).equals(report)).toBe(true);
    expect(await controllerState(page)).toBe('activated');
    expect(
      await page.$$eval('iframe[title="download"]', (frames) => frames.map((frame) => frame.getAttribute('src'))),
    ).toEqual([expect.stringMatching(/^\/_download\/[0-9a-f-]{36}$/)]);
    await page.close();
  });

  it('opens a password link only with its password', async () => {
    const page = await firefox.newPage();
    await page.goto(passwordLink.url);
    await heading(page, 'This link has a password');
    await page.locator('input[type="password"]').fill(`${PASSWORD}!`);
    await clickButton(page, 'Open');
    await page.waitForFunction(
      () => document.querySelector('[role="alert"]')?.textContent?.includes('Wrong password'),
      { timeout: 60_000 },
    );
    expect(await page.$$eval('h1', (hs) => hs.map((h) => h.textContent?.trim()))).toEqual(['This link has a password']);
    await page.locator('input[type="password"]').fill(PASSWORD);
    await clickButton(page, 'Open');
    await heading(page, 'report.bin');
    expect(await text(page, 'link-size')).toMatch(/^300 KB/);
    expect((await downloaded(() => clickButton(page, 'Download'))).equals(report)).toBe(true);
    await page.close();
  });

  it('takes two files through a request link, which the owner accepts and downloads identical', async () => {
    const page = await firefox.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(requestUrl);
    await heading(page, 'Send files');
    expect(page.url()).toBe(`${server.origin}${new URL(requestUrl).pathname}`);
    expect(await text(page, 'request-message')).toBe('Send the scans, please');
    const picker = (await page.$('[data-testid="request-files"]')) as ElementHandle<HTMLInputElement>;
    await picker.uploadFile(...Object.keys(sent).map((name) => join(dir, name)));
    await clickButton(page, 'Send');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="request-file"]')]
          .map((row) => row.lastElementChild?.textContent)
          .join() === 'Sent,Sent',
      { timeout: 30_000 },
    );
    expect(await text(page, 'request-limits')).toMatch(/^You may send 18 more file\(s\)/);
    expect(errors).toEqual([]);
    await page.close();

    await acceptRequestUploads(ownerPage, 'from Firefox', Object.keys(sent));
    for (const [name, content] of Object.entries(sent)) {
      expect((await downloadFile(ownerPage, name)).equals(content)).toBe(true);
    }
  });
});
