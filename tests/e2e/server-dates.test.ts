/**
 * Dates a hostile server chooses, in the built web app in Chromium: the server rewrites every date in what it lists
 * (createdAt, updatedAt, trashedAt, completedAt). What the app shows as a file's or folder's date comes from the
 * authenticated metadata and does not move; the dates only the server knows (trashed, uploaded) are labelled as its.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type Route } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';

/** The date the server writes over every date it sends. */
const SERVER_DATE = '2001-02-03T04:05:06.000Z';
const DATE_FIELDS = new Set(['createdAt', 'updatedAt', 'trashedAt', 'completedAt']);
/** When the uploaded file was last modified on this device, as its metadata records it. */
const FILE_MODIFIED = new Date('2020-06-15T12:00:00Z');

function rewriteDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteDates);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      DATE_FIELDS.has(key) && typeof field === 'string' ? SERVER_DATE : rewriteDates(field),
    ]),
  );
}

describe('dates a hostile server rewrites, in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const dateCell = (name: string) => row(name).locator('td.date');
  const action = async (name: string, label: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    await row(name).getByRole('button', { name: label, exact: true }).click();
  };
  const upload = async (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    utimesSync(path, FILE_MODIFIED, FILE_MODIFIED);
    await page.getByLabel('Files to upload').setInputFiles(path);
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await row(name).waitFor();
  };
  const rewriteEveryDate = async (route: Route) => {
    if (route.request().method() !== 'GET') return route.fallback();
    const response = await route.fetch();
    if (!response.headers()['content-type']?.includes('application/json')) return route.fulfill({ response });
    await route.fulfill({ response, json: rewriteDates(await response.json()) });
  };
  const isApi = (url: URL) => url.pathname.startsWith('/api/nodes') || url.pathname.startsWith('/api/trash');
  const goToFiles = async () => {
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-dates-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await signUpPerson(browser, server.origin, { locale: 'en-US', timezoneId: 'UTC' });
    await goToFiles();
    await upload('minutes.txt', 'first draft');
    await upload('minutes.txt', 'second draft');
    await upload('old-notes.txt', 'to be thrown away');
    await action('old-notes.txt', 'Move to trash');
    await row('old-notes.txt').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Letters');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await row('Letters').waitFor();
    await page.context().route(isApi, rewriteEveryDate);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows a file's and a folder's dates from their metadata, whatever dates the server sends", async () => {
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await goToFiles();
    await row('Letters').waitFor();
    const year = String(new Date().getUTCFullYear());
    expect(await dateCell('minutes.txt').textContent()).toBe('Jun 15, 2020, 12:00 PM');
    expect(await dateCell('Letters').textContent()).toContain(year);
    expect(await dateCell('Letters').textContent()).not.toContain('2001');
  });

  it("shows the recent files' dates from their metadata", async () => {
    await page.getByRole('link', { name: 'Coffer' }).first().click();
    const recent = page.getByRole('region', { name: 'Recent files' }).getByRole('listitem');
    await recent.filter({ hasText: 'minutes.txt' }).waitFor();
    expect(await recent.allTextContents()).not.toContainEqual(expect.stringContaining('2001'));
  });

  it("labels the trash date and the version dates as the server's", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click();
    const trashed = page.getByRole('list', { name: 'Items in the trash' }).getByRole('listitem');
    await trashed.filter({ hasText: 'old-notes.txt' }).waitFor();
    expect(await trashed.textContent()).toMatch(/trashed Feb 3, 2001, 4:05 AM \(server's date\)/);

    await goToFiles();
    await action('minutes.txt', 'Versions');
    const versions = page.getByRole('list', { name: 'Versions' }).getByRole('listitem');
    await expect.poll(() => versions.count()).toBe(2);
    for (const text of await versions.allTextContents()) {
      expect(text).toMatch(/uploaded Feb 3, 2001, 4:05 AM \(server's date\)/);
    }
    await page.getByRole('button', { name: 'Close' }).click();
  });
});
