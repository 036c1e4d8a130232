/**
 * "Export everything" in Settings, in the built web app in Chromium: nested folders with files (and an empty folder,
 * and a file in the trash) come back as one zip, decrypted, the folders kept and every file's bytes equal to the
 * original; the trash is left out; an item whose metadata the server altered is left out and counted on the page; the
 * page shows how far the export got against the zip's exact length; and a failure says so.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { PYTHON } from '../run-command.ts';
import { goTo, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { tamperJson } from './tamper.ts';

interface ListedNode {
  id: string;
  kind: string;
  encryptedMetadata: string;
}

/** The same token with one character in its middle changed: still base64url, no longer authentic. */
function altered(token: string): string {
  const middle = Math.floor(token.length / 2);
  return token.slice(0, middle) + (token[middle] === 'A' ? 'B' : 'A') + token.slice(middle + 1);
}

function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Each entry of a zip as Python's zipfile reads it: a folder's name, or a file's name and the SHA-256 of its bytes. */
const LIST_ZIP =
  'import hashlib, sys, zipfile\n' +
  'z = zipfile.ZipFile(sys.argv[1])\n' +
  'assert z.testzip() is None\n' +
  'for i in z.infolist():\n' +
  '    print(i.filename if i.is_dir() else f"{i.filename}={hashlib.sha256(z.read(i)).hexdigest()}")\n';

describe('export everything, in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const action = async (name: string, label: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    await row(name).getByRole('button', { name: label, exact: true }).click();
  };
  const waitForUploads = async () => {
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
  };
  const goToFiles = async () => {
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  };
  const getJson = async <T>(path: string) => (await (await page.request.get(server.origin + path)).json()) as T;
  const exportEverything = async () => {
    await goTo(page, 'Settings');
    await page.getByRole('button', { name: 'Export everything', exact: true }).click();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-export-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await signUpPerson(browser, server.origin);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('saves every folder and file, decrypted, with the trash and a refused item left out', async () => {
    const trip = join(dir, 'Trip');
    mkdirSync(join(trip, 'Day 1', 'Evening'), { recursive: true });
    const photo = randomBytes(300_000);
    const top = randomBytes(1_500_000);
    writeFileSync(join(trip, 'notes.txt'), 'notes of the trip');
    writeFileSync(join(trip, 'Day 1', 'photo.bin'), photo);
    writeFileSync(join(trip, 'Day 1', 'Evening', 'menu.txt'), 'soup, then cake');
    writeFileSync(join(dir, 'top.bin'), top);
    writeFileSync(join(dir, 'gone.txt'), 'in the trash');

    await goToFiles();
    await page.getByLabel('Folder to upload').setInputFiles(trip);
    await waitForUploads();
    await page.getByLabel('Files to upload').setInputFiles([join(dir, 'top.bin'), join(dir, 'gone.txt')]);
    await waitForUploads();
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Empty');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await row('Empty').waitFor();
    await action('gone.txt', 'Move to trash');
    await row('gone.txt').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Trip', exact: true }).click();
    await page.getByRole('heading', { name: 'Trip' }).waitFor();
    const tripId = new URL(page.url()).pathname.split('/').at(-1)!;

    // The server alters the metadata of Trip's one file, notes.txt.
    const tampering = await tamperJson<{ children: ListedNode[] }>(
      page.context(),
      `**/api/nodes/${tripId}/children`,
      'metadata of notes.txt altered',
      (listed) => {
        const notes = listed.children.find((child) => child.kind === 'file')!;
        notes.encryptedMetadata = altered(notes.encryptedMetadata);
        return listed;
      },
    );
    let zip: Buffer;
    try {
      const [download] = await Promise.all([page.waitForEvent('download'), exportEverything()]);
      expect(download.suggestedFilename()).toBe('Coffer export.zip');
      zip = readFileSync((await download.path())!);
      await page.getByRole('status').filter({ hasText: 'Exported 3 files in 4 folders' }).waitFor();
    } finally {
      await tampering.restore();
    }
    expect(tampering.rewritten).toBeGreaterThan(0);
    await page.getByText('One item in your folders failed the integrity check and is not in the export').waitFor();

    // The progress bar ends at the zip's exact length, counted as the bytes went by.
    const progress = page.getByRole('progressbar', { name: 'Export progress' });
    expect(await progress.getAttribute('data-total')).toBe(String(zip.length));
    expect(await progress.getAttribute('data-done')).toBe(String(zip.length));

    const zipPath = join(dir, 'export.zip');
    writeFileSync(zipPath, zip);
    const listing = execFileSync(PYTHON, ['-c', LIST_ZIP, zipPath]).toString().trim().split('\n');
    expect(listing.sort()).toEqual(
      [
        'Empty/',
        'Trip/',
        'Trip/Day 1/',
        'Trip/Day 1/Evening/',
        `Trip/Day 1/Evening/menu.txt=${sha256('soup, then cake')}`,
        `Trip/Day 1/photo.bin=${sha256(photo)}`,
        `top.bin=${sha256(top)}`,
      ].sort(),
    );
  });

  it('says the export failed, and why, when the server fails', async () => {
    const root = (await getJson<{ id: string }>('/api/nodes/root')).id;
    const pattern = `**/api/nodes/${root}/children`;
    await page.context().route(pattern, (route) =>
      route.fulfill({
        status: 503,
        json: { error: { code: 'UNAVAILABLE', message: 'the database did not answer' } },
      }),
    );
    try {
      await exportEverything();
      await page.getByRole('alert').filter({ hasText: 'The export failed:' }).waitFor();
      expect(await page.getByRole('alert').filter({ hasText: 'The export failed:' }).textContent()).toContain(
        'the database did not answer',
      );
      expect(await page.getByRole('progressbar', { name: 'Export progress' }).count()).toBe(0);
    } finally {
      await page.context().unroute(pattern);
    }
  });
});
