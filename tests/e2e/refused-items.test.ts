/**
 * Items a hostile server slips into a listing, in the built web app in Chromium: it lists a folder of another folder
 * in My files (a record the app could open, under the folder it really belongs to) and alters another's metadata; in
 * the recent files it claims a file of a subfolder sits in My files, and alters another file. The file browser, the
 * move dialog and the dashboard (its recent files and its shared inbox, which reads My files for names) each show the
 * other items and say that two failed; none of them shows a refused item or gives up on the rest. A zip of a folder
 * leaves out a child that fails and says so, and a path that skips a folder is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Download, type Page, type Route } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';

interface ListedNode {
  id: string;
  parentId: string | null;
  kind: string;
  encryptedMetadata: string;
}

/** The same token with one character in its middle changed: still base64url, no longer authentic. */
function altered(token: string): string {
  const middle = Math.floor(token.length / 2);
  return token.slice(0, middle) + (token[middle] === 'A' ? 'B' : 'A') + token.slice(middle + 1);
}

describe('items that fail their checks, in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const ids = { root: '', letters: '', taxes: '', oldLetters: '' };

  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const goToFiles = async () => {
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  };
  const newFolder = async (name: string) => {
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await row(name).waitFor();
  };
  const upload = async (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, `the text of ${name}`);
    await page.getByLabel('Files to upload').setInputFiles(path);
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await row(name).waitFor();
  };
  /** Opens a folder of the one shown and returns its id, from the address. */
  const enter = async (name: string) => {
    await page.getByRole('button', { name, exact: true }).click();
    await page.getByRole('heading', { name }).waitFor();
    return new URL(page.url()).pathname.split('/').at(-1)!;
  };
  const getJson = async <T>(path: string) => (await (await page.request.get(server.origin + path)).json()) as T;
  /** Answers a listing with what the server sent, changed by `change`. */
  const rewrite = (change: (json: Record<string, ListedNode[]>) => void) => async (route: Route) => {
    const response = await route.fetch();
    const json = (await response.json()) as Record<string, ListedNode[]>;
    change(json);
    await route.fulfill({ response, json });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-refused-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await signUpPerson(browser, server.origin);

    // My files: Letters (holding Old letters and letter.txt), Photos, Taxes (holding receipt.txt), plan.txt, notes.txt.
    await goToFiles();
    for (const name of ['Letters', 'Photos', 'Taxes']) await newFolder(name);
    for (const name of ['plan.txt', 'notes.txt']) await upload(name);
    ids.taxes = await enter('Taxes');
    await upload('receipt.txt');
    await goToFiles();
    ids.letters = await enter('Letters');
    await newFolder('Old letters');
    await upload('letter.txt');
    await goToFiles();
    ids.root = (await getJson<ListedNode>('/api/nodes/root')).id;
    const { children } = await getJson<{ children: ListedNode[] }>(`/api/nodes/${ids.letters}/children`);
    const oldLetters = children.find((child) => child.kind === 'folder')!;
    ids.oldLetters = oldLetters.id;

    // My files: Old letters listed here too, with its own record (it claims Letters); Photos' metadata altered.
    await page.context().route(
      (url) => url.pathname === `/api/nodes/${ids.root}/children`,
      rewrite((json) => {
        const photos = json.children!.find(
          (child) => child.kind === 'folder' && ![ids.letters, ids.taxes].includes(child.id),
        );
        photos!.encryptedMetadata = altered(photos!.encryptedMetadata);
        json.children!.push(oldLetters);
      }),
    );
    // The recent files: letter.txt claimed to be in My files, receipt.txt's metadata altered.
    await page.context().route(
      (url) => url.pathname === '/api/nodes/recent',
      rewrite((json) => {
        const letter = json.nodes!.find((node) => node.parentId === ids.letters);
        const receipt = json.nodes!.find((node) => node.parentId === ids.taxes);
        letter!.parentId = ids.root;
        receipt!.encryptedMetadata = altered(receipt!.encryptedMetadata);
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the file browser shows the other items and says two failed', async () => {
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await goToFiles();
    await page.getByText('2 items in this folder failed the integrity check').waitFor();
    for (const name of ['Letters', 'Taxes', 'plan.txt', 'notes.txt']) await row(name).waitFor();
    expect(
      await page
        .getByRole('row')
        .filter({ hasText: /Photos|Old letters/ })
        .count(),
    ).toBe(0);
  });

  it('the move dialog offers the other folders and says two failed', async () => {
    await page.getByLabel('Actions for plan.txt', { exact: true }).click();
    await row('plan.txt').getByRole('button', { name: 'Move', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Move “plan.txt”' });
    try {
      await dialog.getByText('2 items in this folder failed the integrity check').waitFor();
      const folders = dialog.getByRole('list', { name: 'Folders' }).getByRole('button');
      expect((await folders.allInnerTexts()).map((text) => text.replace('›', '').trim())).toEqual(['Letters', 'Taxes']);
    } finally {
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    }
  });

  it('the dashboard shows the shared inbox and the other recent files, each saying two failed', async () => {
    // A file waiting in the shared inbox, as the service worker keeps one: the inbox reads My files for its names.
    await page.evaluate(async () => {
      const opening = indexedDB.open('coffer-shared-inbox', 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore('files', { keyPath: 'id', autoIncrement: true });
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
      const transaction = database.transaction('files', 'readwrite');
      transaction.objectStore('files').add({
        name: 'shared-note.txt',
        type: 'text/plain',
        lastModified: Date.now(),
        blob: new Blob(['shared']),
        receivedAt: Date.now(),
      });
      await new Promise((resolve) => (transaction.oncomplete = resolve));
      database.close();
    });
    await page.getByRole('link', { name: 'Coffer' }).first().click();
    const inbox = page.getByRole('region', { name: 'Shared to Coffer' });
    await inbox.getByText('shared-note.txt', { exact: true }).waitFor();
    await inbox.getByText('2 items in My files failed the integrity check').waitFor();
    const recent = page.getByRole('region', { name: 'Recent files' });
    await recent.getByText('2 items among the recent files failed the integrity check').waitFor();
    expect(await recent.getByRole('listitem').getByRole('link').allInnerTexts()).toEqual(['notes.txt', 'plan.txt']);
  });

  it('a zip of a folder leaves out an item that fails, and says so', async () => {
    await page.context().route(
      (url) => url.pathname === `/api/nodes/${ids.letters}/children`,
      rewrite((json) => {
        const letter = json.children!.find((child) => child.kind === 'file');
        letter!.encryptedMetadata = altered(letter!.encryptedMetadata);
      }),
    );
    await goToFiles();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      (async () => {
        await page.getByLabel('Actions for Letters', { exact: true }).click();
        await row('Letters').getByRole('button', { name: 'Download', exact: true }).click();
      })(),
    ]);
    await page
      .getByText('One item in the folders downloaded failed the integrity check and is not in the download')
      .waitFor();
    // Zip entries carry their paths in the clear.
    const zip = readFileSync((await (download as Download).path())!);
    expect(zip.includes('Letters/Old letters/')).toBe(true);
    expect(zip.includes('letter.txt')).toBe(false);
  });

  it('refuses a path to a folder that skips the folder holding it', async () => {
    await page.context().route(
      (url) => url.pathname === `/api/nodes/${ids.oldLetters}/path`,
      rewrite((json) => {
        json.path = json.path!.filter((step) => step.id !== ids.letters);
      }),
    );
    await page.getByRole('button', { name: 'Letters', exact: true }).click();
    await page.getByRole('button', { name: 'Old letters', exact: true }).click();
    await page.getByText('the server gave a path whose folders do not hold one another').waitFor();
    expect(await page.getByRole('heading', { name: 'Old letters' }).count()).toBe(0);
  });
});
