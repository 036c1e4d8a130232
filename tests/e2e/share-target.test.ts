/**
 * The share target of the built web app in Chromium, with its service worker: a form that a page of another site posts
 * to /share-target is refused and leaves nothing; one that cannot be told from the share menu (the page's referrer
 * policy hides it) only waits in the shared inbox; a share is listed file by file, and only what the user accepts is
 * uploaded, a name already in My files becoming a new version only when the user picks "replace"; locking, signing
 * out and a day's wait empty the inbox. The other site is a second server on 127.0.0.1, the app being on localhost.
 */
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { unlockWithPasskey } from './sign-up.ts';

interface SharedText {
  name: string;
  text: string;
}

const asInputFiles = (files: SharedText[]) =>
  files.map(({ name, text }) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) }));

/** A page of another site with a form that posts files to the app's share target, as any web page can. */
function attackingPage(appOrigin: string, referrerPolicy: string | null): string {
  const policy = referrerPolicy ? `<meta name="referrer" content="${referrerPolicy}">` : '';
  return (
    `<!doctype html><html><head><meta charset="utf-8">${policy}<title>Free prizes</title></head><body>` +
    `<form method="post" enctype="multipart/form-data" action="${appOrigin}/share-target">` +
    '<input type="file" name="files" multiple aria-label="Files"><button>Claim</button></form></body></html>'
  );
}

describe('the share target in Chromium', () => {
  let server: AppServer;
  let otherSite: Server;
  let otherOrigin: string;
  let browser: Browser;
  let page: Page;

  /** The inbox's records on this device, read straight from IndexedDB by a page of the app's origin. */
  const inboxNames = () =>
    page.evaluate(async () => {
      if (!(await indexedDB.databases()).some(({ name }) => name === 'coffer-shared-inbox')) return [];
      return new Promise<string[]>((resolve, reject) => {
        const opening = indexedDB.open('coffer-shared-inbox');
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const reading = opening.result.transaction('files').objectStore('files').getAll();
          reading.onerror = () => reject(reading.error);
          reading.onsuccess = () => {
            opening.result.close();
            resolve((reading.result as { name: string }[]).map(({ name }) => name));
          };
        };
      });
    });
  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const inbox = () => page.getByRole('region', { name: 'Shared to Coffer' });
  const sharedItem = (name: string) =>
    inbox()
      .getByRole('listitem')
      .filter({ has: page.getByText(name, { exact: true }) });
  const goToFiles = async () => {
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  };
  const waitForUploads = async () => {
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
  };
  /** The versions of a file in My files, as its Versions dialog lists them. */
  const versionsOf = async (name: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    await row(name).getByRole('button', { name: 'Versions', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Versions of “${name}”` });
    await dialog.getByText('(current)').waitFor();
    const items = await dialog.getByRole('list', { name: 'Versions' }).getByRole('listitem').allInnerTexts();
    await dialog.getByRole('button', { name: 'Close' }).click();
    return items.map((text) => /Version \d+(?:\s*\(current\))?/.exec(text)![0].replace(/\s+/g, ' '));
  };
  /** Shares files as the share menu does, by a top-level form post to /share-target; the app opens, locked. */
  const shareFromThisApp = async (files: SharedText[]) => {
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.enctype = 'multipart/form-data';
      form.action = '/share-target';
      const input = document.createElement('input');
      input.type = 'file';
      input.name = 'files';
      input.multiple = true;
      input.id = 'share-files';
      form.append(input);
      document.body.append(form);
    });
    await page.setInputFiles('#share-files', asInputFiles(files));
    await page.evaluate(() => (document.getElementById('share-files') as HTMLInputElement).form!.submit());
    await unlockWithPasskey(page);
  };
  /** Posts files from the other site's page; resolves with the page the browser ends on. */
  const postFromOtherSite = async (referrerPolicy: string | null, files: SharedText[]) => {
    await page.goto(`${otherOrigin}/${referrerPolicy ? `?policy=${referrerPolicy}` : ''}`);
    await page.getByLabel('Files').setInputFiles(asInputFiles(files));
    await Promise.all([page.waitForURL(`${server.origin}/**`), page.getByRole('button', { name: 'Claim' }).click()]);
  };
  const planted = [
    { name: 'report.txt', text: 'planted by another site' },
    { name: 'planted.txt', text: 'planted by another site' },
  ];

  beforeAll(async () => {
    server = await startAppServer('web app');
    otherSite = createServer((request, response) => {
      const policy = new URL(request.url!, 'http://other.test').searchParams.get('policy');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(attackingPage(server.origin, policy));
    });
    await new Promise<void>((resolve) => otherSite.listen(0, '127.0.0.1', resolve));
    otherOrigin = `http://127.0.0.1:${(otherSite.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await signUpPerson(browser, server.origin);
    await page.evaluate(() => navigator.serviceWorker.ready);
    // A file the shares below are named after: My files has "report.txt", version 1.
    await goToFiles();
    await page
      .getByLabel('Files to upload')
      .setInputFiles(asInputFiles([{ name: 'report.txt', text: 'the original' }]));
    await waitForUploads();
    await row('report.txt').waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => otherSite?.close(resolve));
  });

  it('refuses a form that a page of another site posts, and keeps nothing of it', async () => {
    await postFromOtherSite(null, planted);
    const answer = { url: page.url(), text: await page.locator('body').innerText() };
    await page.goto(server.origin);
    expect(await inboxNames()).toEqual([]);
    expect(answer.url).toBe(`${server.origin}/share-target`);
    expect(answer.text).toContain(`This one came from ${otherOrigin}; nothing was kept.`);
    // Nor a request that is not a navigation: only the share menu's is a share.
    const status = await page.evaluate(async () => {
      const form = new FormData();
      form.append('files', new File(['sent by a script'], 'scripted.txt', { type: 'text/plain' }));
      return (await fetch('/share-target', { method: 'POST', body: form })).status;
    });
    expect(status).toBe(403);
    expect(await inboxNames()).toEqual([]);

    await unlockWithPasskey(page);
    await goToFiles();
    await row('report.txt').waitFor();
    expect(await row('planted.txt').count()).toBe(0);
    expect(await versionsOf('report.txt')).toEqual(['Version 1 (current)']);
  });

  it('keeps a post it cannot tell from a share only in the inbox, uploading nothing, until discarded', async () => {
    // Under no-referrer, the browser gives the worker neither the page's origin nor its address: it looks like the
    // share menu's navigation, and the user decides on each file.
    await postFromOtherSite('no-referrer', planted);
    await unlockWithPasskey(page);
    await inbox().waitFor();
    await expect
      .poll(() => sharedItem('planted.txt').getByText('23 bytes · text/plain', { exact: false }).count())
      .toBe(1);
    await sharedItem('report.txt').getByText('23 bytes · text/plain', { exact: false }).waitFor();
    expect((await inboxNames()).sort()).toEqual(['planted.txt', 'report.txt']);

    await goToFiles();
    await row('report.txt').waitFor();
    expect(await row('planted.txt').count()).toBe(0);
    expect(await versionsOf('report.txt')).toEqual(['Version 1 (current)']);

    await page.getByRole('link', { name: 'Coffer', exact: true }).click();
    await page.getByRole('button', { name: 'Discard all' }).click();
    await inbox().waitFor({ state: 'detached' });
    expect(await inboxNames()).toEqual([]);
  });

  it('lists a share file by file and uploads only what is accepted, a namesake kept apart by default', async () => {
    await shareFromThisApp([
      { name: 'keep.txt', text: 'keep me' },
      { name: 'drop.txt', text: 'drop me' },
      { name: 'report.txt', text: 'from the share' },
    ]);
    await sharedItem('keep.txt').getByText('7 bytes · text/plain', { exact: false }).waitFor();
    await sharedItem('drop.txt').getByText('7 bytes · text/plain', { exact: false }).waitFor();
    const keepBoth = sharedItem('report.txt').getByLabel('Keep both: save this one as “report (1).txt”');
    expect(await keepBoth.isChecked()).toBe(true);
    expect(await sharedItem('keep.txt').getByRole('radio').count()).toBe(0);

    await sharedItem('keep.txt').getByRole('button', { name: 'Save to My files' }).click();
    await sharedItem('keep.txt').waitFor({ state: 'detached' });
    await sharedItem('drop.txt').getByRole('button', { name: 'Discard' }).click();
    await sharedItem('drop.txt').waitFor({ state: 'detached' });
    await sharedItem('report.txt').getByRole('button', { name: 'Save to My files' }).click();
    await inbox().waitFor({ state: 'detached' });
    await waitForUploads();
    expect(await inboxNames()).toEqual([]);

    await goToFiles();
    await row('keep.txt').waitFor();
    expect(await versionsOf('report.txt')).toEqual(['Version 1 (current)']);
    expect(await versionsOf('report (1).txt')).toEqual(['Version 1 (current)']);
    expect(await row('drop.txt').count()).toBe(0);
  });

  it('makes a shared namesake a new version only when the user picks "replace", and skips it when asked', async () => {
    await shareFromThisApp([
      { name: 'report.txt', text: 'the replacement' },
      { name: 'report.txt', text: 'not wanted' },
    ]);
    const replace = 'Replace: save this one as a new version of it';
    await sharedItem('report.txt').first().getByLabel(replace).check();
    await sharedItem('report.txt').first().getByRole('button', { name: 'Save to My files' }).click();
    await expect.poll(() => sharedItem('report.txt').count()).toBe(1);
    // Another version made from the same listing would claim the same revision number: the other one cannot replace.
    expect(await sharedItem('report.txt').getByLabel(replace).count()).toBe(0);
    await sharedItem('report.txt').getByLabel('Skip this file').check();
    await sharedItem('report.txt').getByRole('button', { name: 'Save to My files' }).click();
    await inbox().waitFor({ state: 'detached' });
    expect(await inboxNames()).toEqual([]);
    await waitForUploads();

    await goToFiles();
    expect(await versionsOf('report.txt')).toEqual(['Version 2 (current)', 'Version 1']);
    await page.getByRole('button', { name: 'report.txt', exact: true }).click();
    await page.getByTestId('preview-text').filter({ hasText: 'the replacement' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    expect(await row('report (2).txt').count()).toBe(0);
  });

  it('drops a share left waiting for more than a day', async () => {
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const opening = indexedDB.open('coffer-shared-inbox', 1);
          opening.onupgradeneeded = () =>
            opening.result.createObjectStore('files', { keyPath: 'id', autoIncrement: true });
          opening.onerror = () => reject(opening.error);
          opening.onsuccess = () => {
            const transaction = opening.result.transaction('files', 'readwrite');
            const receivedAt = Date.now() - 25 * 60 * 60 * 1000;
            const blob = new Blob(['left for a day'], { type: 'text/plain' });
            transaction
              .objectStore('files')
              .add({ name: 'stale.txt', type: 'text/plain', lastModified: 0, blob, receivedAt });
            transaction.oncomplete = () => {
              opening.result.close();
              resolve();
            };
            transaction.onerror = () => reject(transaction.error);
          };
        }),
    );
    expect(await inboxNames()).toEqual(['stale.txt']);
    await shareFromThisApp([{ name: 'fresh.txt', text: 'just shared' }]);
    await sharedItem('fresh.txt').waitFor();
    expect(await sharedItem('stale.txt').count()).toBe(0);
    expect(await inboxNames()).toEqual(['fresh.txt']);
    await page.getByRole('button', { name: 'Discard all' }).click();
    await inbox().waitFor({ state: 'detached' });
  });

  it('empties the inbox when the account locks, and when it signs out', async () => {
    await shareFromThisApp([{ name: 'private.txt', text: 'left behind when locking' }]);
    await sharedItem('private.txt').waitFor();
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.waitForURL('**/unlock');
    await expect.poll(inboxNames).toEqual([]);

    await shareFromThisApp([{ name: 'private.txt', text: 'left behind when signing out' }]);
    await sharedItem('private.txt').waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('link', { name: 'Create an account' }).waitFor();
    await expect.poll(inboxNames).toEqual([]);
  });
});
