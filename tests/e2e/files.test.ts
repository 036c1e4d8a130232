/**
 * The file manager of the built web app in Chromium, signed in with a PRF passkey: upload (one file, several, a
 * folder), browse, rename, move, trash and restore, versions, previews, downloads whose bytes equal the originals, and
 * an upload resumed after a reload. Every request is recorded, and no file name or content may appear in one.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Download, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../web/src/lib/format.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { PYTHON } from '../run-command.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { signUpWithPasskey, unlockWithPasskey } from './sign-up.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';

/** A 1x1 red PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

describe('file manager in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  const requests: { url: string; body: Buffer | null }[] = [];
  const secrets: string[] = [];

  const file = (name: string, content: Buffer | string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const action = async (name: string, label: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    await row(name).getByRole('button', { name: label, exact: true }).click();
  };
  /** Waits for every upload to finish, then clears the panel, which would otherwise cover the list's last rows. */
  /** `timeout` for the large files, whose encryption on a machine busy with other suites takes longer. */
  const waitForUploads = async (timeout = 30_000) => {
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor({ timeout });
    await page.getByRole('button', { name: 'Clear finished' }).click();
  };
  /** Holds every segment request back a little, so that an upload is still under way when the test acts. */
  const slowChunkRequests = async (work: () => Promise<void>) => {
    const pattern = '**/api/uploads/*/chunks/**';
    await page.context().route(pattern, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue().catch(() => undefined);
    });
    try {
      await work();
    } finally {
      await page.context().unroute(pattern);
    }
  };
  /** Uploads a file and opens its preview: the media element, whose source the service worker answers. */
  const openStreamedPreview = async (name: string, content: Buffer, tag: 'video' | 'audio') => {
    secrets.push(name);
    await page.getByLabel('Files to upload').setInputFiles(file(name, content));
    await waitForUploads();
    await page.getByRole('button', { name, exact: true }).click();
    const media = page.getByRole('dialog').locator(tag);
    await media.waitFor({ state: 'attached' });
    const src = (await media.getAttribute('src'))!;
    expect(src).toMatch(/^\/_media\/[0-9a-f-]{36}$/);
    return { media, src };
  };
  const downloaded = async (start: () => Promise<unknown>): Promise<Buffer> => {
    const [download] = await Promise.all([page.waitForEvent('download'), start()]);
    return readFileSync((await (download as Download).path())!);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-files-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext();
    page = await context.newPage();
    page.on('request', (request) => requests.push({ url: request.url(), body: request.postDataBuffer() }));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
    await signUpWithPasskey(page, server.origin);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows an empty account, then an empty root folder', async () => {
    await page.getByText('Nothing here yet').waitFor();
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
    await page.getByText('This folder is empty.').waitFor();
  });

  it('uploads one file, and previews it decrypted', async () => {
    const content = 'Quarterly numbers: up and to the right.\n';
    secrets.push('quarterly-report.txt', content.trim());
    await page.getByLabel('Files to upload').setInputFiles(file('quarterly-report.txt', content));
    await waitForUploads();
    await row('quarterly-report.txt').waitFor();
    await page.getByRole('button', { name: 'quarterly-report.txt', exact: true }).click();
    expect(await page.getByTestId('preview-text').textContent()).toBe(content);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('keeps files picked while the folder is still opening, and uploads them into it', async () => {
    secrets.push('picked-early.txt');
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByRole('heading', { name: 'Trash' }).waitFor();
    const listings = '**/api/nodes/*/children';
    await page.context().route(listings, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue().catch(() => undefined);
    });
    try {
      await page.getByRole('link', { name: 'Files', exact: true }).click();
      await page.locator('section.files[aria-busy="true"]').waitFor();
      await page.getByLabel('Files to upload').setInputFiles(file('picked-early.txt', 'picked before the list showed'));
    } finally {
      await page.context().unroute(listings);
    }
    await waitForUploads();
    await row('picked-early.txt').waitFor();
    await row('quarterly-report.txt').waitFor();
  });

  it('uploads several files at once, and shows an image preview', async () => {
    const names = ['alpha.bin', 'beta.bin', 'gamma.bin', 'delta.bin'];
    secrets.push(...names, 'red-dot.png');
    await page
      .getByLabel('Files to upload')
      .setInputFiles([...names.map((name) => file(name, randomBytes(200_000))), file('red-dot.png', PNG)]);
    await waitForUploads();
    for (const name of [...names, 'red-dot.png']) await row(name).waitFor();
    await page.getByRole('button', { name: 'red-dot.png', exact: true }).click();
    const image = page.getByRole('img', { name: 'red-dot.png' });
    await image.waitFor();
    expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('refuses the items whose details the server swapped, says how many, and still shows the rest', async () => {
    const pattern = '**/api/nodes/*/children';
    await page.context().route(pattern, async (route) => {
      const response = await route.fetch();
      // The rest of the answer (the folder's signed manifest) as the server gave it: only the details are swapped.
      const listing = (await response.json()) as { children: { kind: string; encryptedMetadata: string }[] };
      const [first, second] = listing.children.filter((child) => child.kind === 'file');
      [first!.encryptedMetadata, second!.encryptedMetadata] = [second!.encryptedMetadata, first!.encryptedMetadata];
      await route.fulfill({ response, json: listing });
    });
    try {
      await page.getByRole('link', { name: 'Trash', exact: true }).click();
      await page.getByRole('link', { name: 'Files', exact: true }).click();
      await page.getByText('2 items in this folder failed the integrity check').waitFor();
      expect(
        await page
          .getByRole('row')
          .filter({ hasText: /\.bin|\.txt|\.png/ })
          .count(),
      ).toBe(5);
    } finally {
      await page.context().unroute(pattern);
    }
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    const names = ['quarterly-report.txt', 'picked-early.txt', 'alpha.bin', 'beta.bin', 'gamma.bin', 'delta.bin'];
    for (const name of [...names, 'red-dot.png']) {
      await row(name).waitFor();
    }
    expect(await page.getByText('failed the integrity check').count()).toBe(0);
  });

  it('uploads a folder with a subfolder, and browses it with breadcrumbs', async () => {
    const album = join(dir, 'Holiday album');
    mkdirSync(join(album, 'Day one'), { recursive: true });
    writeFileSync(join(album, 'cover.txt'), 'cover page');
    writeFileSync(join(album, 'Day one', 'beach.txt'), 'sand and sea');
    secrets.push('Holiday album', 'beach.txt');
    await page.getByLabel('Folder to upload').setInputFiles(album);
    await waitForUploads();
    await page.getByRole('button', { name: 'Holiday album', exact: true }).click();
    await page.getByRole('heading', { name: 'Holiday album' }).waitFor();
    await page.getByRole('button', { name: 'Day one', exact: true }).click();
    await row('beach.txt').waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: 'My files' }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  });

  it('sends a folder of small files together in one request, and each arrives intact', async () => {
    const folder = join(dir, 'Source tree');
    mkdirSync(folder);
    const small = Array.from({ length: 30 }, (_, i) => ({
      name: `module-${i}.ts`,
      content: `export const n = ${i};\n`,
    }));
    for (const { name, content } of small) writeFileSync(join(folder, name), content);
    // The batched path sends names and contents too: the capture tests below look for every one of them.
    secrets.push('Source tree', ...small.flatMap(({ name, content }) => [name, content.trim()]));
    const from = requests.length;
    await page.getByLabel('Folder to upload').setInputFiles(folder);
    await waitForUploads();
    const paths = requests.slice(from).map((request) => new URL(request.url).pathname);
    expect(paths.filter((path) => path === '/api/uploads/batch')).toHaveLength(1);
    // No file took the three-step way: no chunk was put and no upload completed on its own.
    expect(paths.filter((path) => /^\/api\/uploads\/[0-9a-f-]{36}\//.test(path))).toEqual([]);
    await page.getByRole('button', { name: 'Source tree', exact: true }).click();
    await row('module-1.ts').waitFor();
    expect((await downloaded(() => action('module-1.ts', 'Download'))).toString()).toBe(small[1]!.content);
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: 'My files' }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  });

  it('downloads a file whose bytes equal the original, streamed by the worker, which took the page over unreloaded', async () => {
    // The page has not been reloaded since the sign-up loaded it with no service worker: the worker claimed it.
    expect(
      await page.evaluate(() =>
        performance.getEntriesByType('navigation').map((entry) => (entry as PerformanceNavigationTiming).workerStart),
      ),
    ).toEqual([0]);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    const original = readFileSync(join(dir, 'alpha.bin'));
    const [download] = await Promise.all([page.waitForEvent('download'), action('alpha.bin', 'Download')]);
    expect(download.url()).toMatch(new RegExp(`^${server.origin}/_download/[0-9a-f-]{36}$`));
    expect(readFileSync((await download.path())!).equals(original)).toBe(true);
  });

  it('downloads a folder as one zip that Python reads back', async () => {
    const bytes = await downloaded(() => action('Holiday album', 'Download'));
    const zipPath = file('album.zip', bytes);
    const listing = execFileSync(PYTHON, [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; ' +
        'print("\\n".join(f"{i.filename}={z.read(i).decode()}" for i in z.infolist() if not i.is_dir()))',
      zipPath,
    ]).toString();
    expect(listing.trim().split('\n').sort()).toEqual([
      'Holiday album/Day one/beach.txt=sand and sea',
      'Holiday album/cover.txt=cover page',
    ]);
  });

  it('renames, makes a folder, and moves a file into it', async () => {
    await action('beta.bin', 'Rename');
    await page.getByLabel('Name', { exact: true }).fill('beta renamed.bin');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await row('beta renamed.bin').waitFor();

    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Archive');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await row('Archive').waitFor();

    await action('beta renamed.bin', 'Move');
    await page
      .getByRole('list', { name: 'Folders' })
      .getByRole('button', { name: /Archive/ })
      .click();
    await page.getByRole('button', { name: 'Move to “Archive”' }).click();
    await row('beta renamed.bin').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await row('beta renamed.bin').waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: 'My files' }).click();
  });

  it('moves a file to the trash and restores it', async () => {
    await action('gamma.bin', 'Move to trash');
    await row('gamma.bin').waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByRole('button', { name: 'Restore gamma.bin' }).click();
    await page.getByText('The trash is empty.').waitFor();
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await row('gamma.bin').waitFor();
  });

  it('keeps versions: a second upload of a name adds one, and an earlier one can be restored', async () => {
    await page.getByLabel('Files to upload').setInputFiles(file('quarterly-report.txt', 'Revised numbers.\n'));
    await waitForUploads();
    await page.getByRole('button', { name: 'quarterly-report.txt', exact: true }).click();
    await page.getByTestId('preview-text').filter({ hasText: 'Revised numbers.' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();

    await action('quarterly-report.txt', 'Versions');
    await page.getByText('Version 2 (current)').waitFor();
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Version 1 (current)').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'quarterly-report.txt', exact: true }).click();
    await page.getByTestId('preview-text').filter({ hasText: 'Quarterly numbers' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('restores a version at its exact size when the server lies about its chunk size', async () => {
    const name = 'survey-data.bin';
    const firstSize = 1_300_000;
    secrets.push(name);
    // Three chunks of 512 KiB: the size is two whole chunks and the last one's, so the chunk size counts.
    await page.getByLabel('Files to upload').setInputFiles(file(name, randomBytes(firstSize)));
    await waitForUploads();
    // A name becomes a new version only once the folder shows the file that holds it.
    await row(name).waitFor();
    await page.getByLabel('Files to upload').setInputFiles(file(name, randomBytes(900)));
    await waitForUploads();
    const shownSize = () => row(name).locator('td.size').textContent();
    await expect.poll(shownSize).toBe(formatBytes(900));

    const pattern = '**/api/nodes/*/revisions';
    await page.context().route(pattern, async (route) => {
      const response = await route.fetch();
      const listed = (await response.json()) as { revisions: { chunkSize: number }[] };
      for (const revision of listed.revisions) revision.chunkSize /= 2;
      await route.fulfill({ response, json: listed });
    });
    try {
      await action(name, 'Versions');
      await page.getByText('Version 2 (current)').waitFor();
      await page.getByRole('button', { name: 'Restore version 1' }).click();
      await page.getByText('Version 1 (current)').waitFor();
      await page.getByRole('button', { name: 'Close' }).click();
    } finally {
      await page.context().unroute(pattern);
    }
    await expect.poll(shownSize).toBe(formatBytes(firstSize));
  });

  it('uploads files dropped on the page', async () => {
    secrets.push('dropped-note.txt');
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped from the desktop'], 'dropped-note.txt', { type: 'text/plain' }));
      for (const type of ['dragover', 'drop']) {
        window.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }
    });
    await waitForUploads();
    await row('dropped-note.txt').waitFor();
  });

  it('filters by name on the device, and switches to the grid, with thumbnails, and back', async () => {
    await page.getByLabel('Filter by name').fill('ALPHA');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    await row('alpha.bin').waitFor();
    await page.getByLabel('Filter by name').fill('');
    await page.getByRole('button', { name: 'Grid view' }).click();
    await page
      .getByRole('list', { name: 'Items in My files' })
      .getByRole('button', { name: 'alpha.bin', exact: true })
      .waitFor();
    // The image's thumbnail was made on the device at upload, stored encrypted, and is decrypted here.
    const thumbnail = page.getByRole('listitem').filter({ hasText: 'red-dot.png' }).locator('img');
    await thumbnail.waitFor();
    expect(await thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    expect(await thumbnail.getAttribute('src')).toMatch(/^blob:/);
    await page.getByRole('button', { name: 'List view' }).click();
    await row('alpha.bin').waitFor();
  });

  it("makes a video's thumbnail on the device from a frame of it", async () => {
    // Two seconds of solid green, 320x240 VP8, recorded by the browser itself from a canvas.
    const recorded = await page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 240;
      const context = canvas.getContext('2d')!;
      const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm;codecs=vp8' });
      const parts: Blob[] = [];
      recorder.ondataavailable = (event) => parts.push(event.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start();
      for (let frame = 0; frame < 50; frame++) {
        context.fillStyle = frame % 2 ? '#00c000' : '#00c100';
        context.fillRect(0, 0, canvas.width, canvas.height);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      recorder.stop();
      await stopped;
      const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
      return Array.from(bytes, (byte) => String.fromCharCode(byte)).join('');
    });
    const name = 'green-clip.webm';
    secrets.push(name);
    await page.getByLabel('Files to upload').setInputFiles(file(name, Buffer.from(recorded, 'latin1')));
    await waitForUploads();
    await page.getByRole('button', { name: 'Grid view' }).click();
    const thumbnail = page.getByRole('listitem').filter({ hasText: name }).locator('img');
    await thumbnail.waitFor();
    // Scaled to 256 pixels on the longer side, and green: a frame of the video, decrypted here.
    const drawn = await thumbnail.evaluate((img: HTMLImageElement) => {
      const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
      const context = canvas.getContext('2d')!;
      context.drawImage(img, 0, 0);
      const [red, green, blue] = context.getImageData(img.naturalWidth / 2, img.naturalHeight / 2, 1, 1).data;
      return { width: img.naturalWidth, height: img.naturalHeight, red, green, blue };
    });
    expect({ width: drawn.width, height: drawn.height }).toEqual({ width: 256, height: 192 });
    expect(drawn.green).toBeGreaterThan(150);
    expect(drawn.red).toBeLessThan(60);
    expect(drawn.blue).toBeLessThan(60);
    await page.getByRole('button', { name: 'List view' }).click();
    await row(name).waitFor();
  });

  it('draws only the cards in sight in a large folder, and reaches the last one by scrolling and by End', async () => {
    const many = join(dir, 'Many cards');
    mkdirSync(many);
    const count = 300;
    for (let i = 0; i < count; i++) writeFileSync(join(many, `card-${String(i).padStart(3, '0')}.txt`), `card ${i}`);
    await page.getByLabel('Folder to upload').setInputFiles(many);
    await waitForUploads();
    await page.getByRole('button', { name: 'Many cards', exact: true }).click();
    await page.getByRole('heading', { name: 'Many cards' }).waitFor();
    await page.getByRole('button', { name: 'Grid view' }).click();
    const grid = page.getByRole('list', { name: 'Items in Many cards' });
    const card = (name: string) => grid.getByRole('button', { name, exact: true });
    await card('card-000.txt').waitFor();
    const drawn = await grid.getByRole('listitem').count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(count / 2);
    // Each card still tells assistive technology where it stands in the whole folder.
    expect(await grid.getByRole('listitem').first().getAttribute('aria-setsize')).toBe(String(count));
    await grid.evaluate((list) => list.parentElement!.scrollTo({ top: list.parentElement!.scrollHeight }));
    await card('card-299.txt').waitFor();
    await card('card-000.txt').waitFor({ state: 'detached' });
    await grid.evaluate((list) => list.parentElement!.scrollTo({ top: 0 }));
    await card('card-000.txt').focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toContain('card-299.txt');
    await page.keyboard.press('Home');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toContain('card-000.txt');
    await page.getByRole('button', { name: 'List view' }).click();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: 'My files' }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  });

  it('moves a file by dragging it onto a folder', async () => {
    await page
      .getByRole('button', { name: 'delta.bin', exact: true })
      .dragTo(page.getByRole('button', { name: 'Archive', exact: true }));
    await row('delta.bin').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await row('delta.bin').waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('link', { name: 'My files' }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  });

  it('works from the keyboard: arrows move, Space selects, Delete moves the selection to the trash', async () => {
    await page.getByRole('button', { name: 'Archive', exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
    expect(focused).not.toContain('Archive');
    await page.keyboard.press(' ');
    await page.getByText('1 selected').waitFor();
    // An upload landing in the folder refreshes the list, and the selection stays.
    secrets.push('landed-meanwhile.txt', 'arrived while selected');
    await page.getByLabel('Files to upload').setInputFiles(file('landed-meanwhile.txt', 'arrived while selected'));
    await row('landed-meanwhile.txt').waitFor();
    await page.getByText('1 selected').waitFor();
    await page.keyboard.press('Delete');
    await page.getByText('1 selected').waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByRole('list', { name: 'Items in the trash' }).getByText(focused!.replace(/^\W+/, '')).waitFor();
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  });

  it('rides out dropped connections: failed chunk requests are retried and the file arrives intact', async () => {
    const original = randomBytes(6 * 1024 * 1024);
    const path = file('flaky-link.bin', original);
    let dropped = 0;
    // The first two segment requests die mid-flight, as on a flaky network; the worker must retry them.
    await page.context().route('**/api/uploads/*/chunks/**', async (route) => {
      if (dropped < 2) {
        dropped++;
        await route.abort('connectionreset');
      } else {
        await route.continue();
      }
    });
    try {
      await page.getByLabel('Files to upload').setInputFiles(path);
      await waitForUploads();
    } finally {
      await page.context().unroute('**/api/uploads/*/chunks/**');
    }
    expect(dropped).toBe(2);
    const bytes = await downloaded(() => action('flaky-link.bin', 'Download'));
    expect(bytes.equals(original)).toBe(true);
  });

  it('pauses an upload and resumes it in place', async () => {
    const original = randomBytes(64 * 1024 * 1024);
    const path = file('paused-video.bin', original);
    secrets.push('paused-video.bin');
    await slowChunkRequests(async () => {
      await page.getByLabel('Files to upload').setInputFiles(path);
      const progress = page.getByLabel('Progress of paused-video.bin');
      await expect
        .poll(async () => Number(await progress.getAttribute('value')), { timeout: 30_000 })
        .toBeGreaterThan(0);
      // A screen reader is told what the uploads are doing, not every step of their progress.
      expect((await page.getByRole('status').textContent())?.trim()).toBe('Uploading 1 file');
      await page.getByRole('button', { name: 'Pause paused-video.bin' }).click();
      await page.locator('li[data-status="paused"]').waitFor();
      expect(Number(await progress.getAttribute('value'))).toBeLessThan(100);
      expect((await page.getByRole('status').textContent())?.trim()).toBe('1 upload stopped');
    });
    await page.getByRole('button', { name: 'Resume paused-video.bin' }).click();
    await waitForUploads(90_000);
    const bytes = await downloaded(() => action('paused-video.bin', 'Download'));
    expect(bytes.equals(original)).toBe(true);
  }, 150_000);

  it('goes on uploading while the app is locked, and shows how far without naming the file', async () => {
    const original = randomBytes(24 * 1024 * 1024);
    const path = file('locked-away.bin', original);
    secrets.push('locked-away.bin');
    const panel = page.getByRole('region', { name: 'Uploads' });
    await slowChunkRequests(async () => {
      await page.getByLabel('Files to upload').setInputFiles(path);
      await expect
        .poll(async () => Number(await page.getByLabel('Progress of locked-away.bin').getAttribute('value')), {
          timeout: 30_000,
        })
        .toBeGreaterThan(0);
      await page.getByRole('button', { name: 'Lock', exact: true }).click();
      await page.waitForURL('**/unlock');
      await panel.getByText('Unlock to see the files and to pause or cancel them.').waitFor();
      expect(await panel.textContent()).not.toContain('locked-away.bin');
      expect(await panel.getByRole('button').count()).toBe(0);
      await panel.getByRole('heading', { name: 'Uploads complete' }).waitFor({ timeout: 60_000 });
    });
    await page.getByRole('button', { name: 'Unlock with your passkey' }).click();
    await page.getByTestId('unlocked').waitFor();
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    // Finished while locked, so folded: its row is there for whoever unlocked.
    await panel.getByRole('button', { name: 'Show details' }).click();
    await panel.getByText('locked-away.bin').waitFor();
    await waitForUploads();
    const bytes = await downloaded(() => action('locked-away.bin', 'Download'));
    expect(bytes.equals(original)).toBe(true);
  });

  it('resumes an upload after a reload in the middle of it, and the file downloads intact through the service worker', async () => {
    const original = randomBytes(48 * 1024 * 1024);
    const path = file('big-archive.bin', original);
    secrets.push('big-archive.bin');
    await slowChunkRequests(async () => {
      await page.getByLabel('Files to upload').setInputFiles(path);
      const progress = page.getByLabel('Progress of big-archive.bin');
      await expect
        .poll(async () => Number(await progress.getAttribute('value')), { timeout: 30_000 })
        .toBeGreaterThan(0);
      // Reloaded while segments are still on their way: those requests die with the page.
      expect(await page.locator('li[data-status="uploading"]').count()).toBe(1);
      await page.reload();
    });
    await page.reload();
    await unlockWithPasskey(page);
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'Unfinished uploads' }).waitFor();
    expect(await page.getByText(/big-archive\.bin.*% uploaded/).textContent()).not.toContain('100%');
    await page.getByLabel('Choose big-archive.bin to resume').setInputFiles(path);
    await waitForUploads();
    await row('big-archive.bin').waitFor();
    // Loaded after the service worker was installed, the page is controlled: this download streams through it.
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    const bytes = await downloaded(() => action('big-archive.bin', 'Download'));
    expect(bytes.length).toBe(original.length);
    expect(bytes.equals(original)).toBe(true);
  }, 120_000);

  it('streams a video preview from the service worker, answering each range the element asks for', async () => {
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const original = randomBytes(3 * 1024 * 1024 + 12_345);
    const { src } = await openStreamedPreview('clip.webm', original, 'video');
    /** What the service worker answers for a range: the status, Content-Range, and the body's length and SHA-256. */
    const fetchRange = (range: string | null) =>
      page.evaluate(
        async ({ src, range }) => {
          const response = await fetch(src, range ? { headers: { range } } : {});
          const body = new Uint8Array(await response.arrayBuffer());
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
          return {
            status: response.status,
            contentRange: response.headers.get('content-range'),
            length: body.length,
            sha256: [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(''),
          };
        },
        { src, range },
      );
    const expected = (status: number, start: number, end: number, contentRange: string | null) => ({
      status,
      contentRange,
      length: end - start,
      sha256: createHash('sha256').update(original.subarray(start, end)).digest('hex'),
    });
    const size = original.length;
    // A range across a chunk boundary (chunks hold 512 KiB), the start, a suffix, and the whole file.
    expect(await fetchRange('bytes=1000000-1600000')).toEqual(
      expected(206, 1_000_000, 1_600_001, `bytes 1000000-1600000/${size}`),
    );
    expect(await fetchRange('bytes=0-')).toEqual(expected(206, 0, size, `bytes 0-${size - 1}/${size}`));
    expect(await fetchRange('bytes=-5000')).toEqual(
      expected(206, size - 5000, size, `bytes ${size - 5000}-${size - 1}/${size}`),
    );
    expect(await fetchRange(null)).toEqual(expected(200, 0, size, null));
    expect((await fetchRange(`bytes=${size}-`)).status).toBe(416);
    await page.getByRole('button', { name: 'Close' }).click();
    // Closing the preview ends it in the worker: its URL answers nothing more.
    await expect.poll(async () => (await fetchRange('bytes=0-99')).status).toBe(404);
  });

  it('plays a streamed audio preview, and seeks into the middle of it', async () => {
    // 20 s of 16-bit stereo PCM at 44.1 kHz: 3.5 MB, seven chunks; a WAV, which Chromium plays without extra codecs.
    const seconds = 20;
    const dataBytes = seconds * 44_100 * 4;
    const wav = Buffer.alloc(44 + dataBytes);
    wav.write('RIFF', 0, 'ascii');
    wav.writeUInt32LE(36 + dataBytes, 4);
    wav.write('WAVEfmt ', 8, 'ascii');
    wav.writeUInt32LE(16, 16);
    wav.writeUInt16LE(1, 20);
    wav.writeUInt16LE(2, 22);
    wav.writeUInt32LE(44_100, 24);
    wav.writeUInt32LE(44_100 * 4, 28);
    wav.writeUInt16LE(4, 32);
    wav.writeUInt16LE(16, 34);
    wav.write('data', 36, 'ascii');
    wav.writeUInt32LE(dataBytes, 40);
    for (let offset = 44; offset < wav.length; offset += 2) {
      wav.writeInt16LE(Math.round(8000 * Math.sin(offset / 40)), offset);
    }
    const { media: audio } = await openStreamedPreview('tone.wav', wav, 'audio');
    await expect.poll(() => audio.evaluate((element: HTMLAudioElement) => element.duration)).toBeCloseTo(seconds, 1);
    const seeked = await audio.evaluate(
      (element: HTMLAudioElement) =>
        new Promise<{ time: number; ready: number; error: number | null }>((resolve) => {
          element.addEventListener(
            'seeked',
            () => resolve({ time: element.currentTime, ready: element.readyState, error: element.error?.code ?? null }),
            { once: true },
          );
          element.currentTime = 15;
        }),
    );
    expect(seeked.time).toBeCloseTo(15, 0);
    expect(seeked.ready).toBeGreaterThanOrEqual(2);
    expect(seeked.error).toBeNull();
    expect(await page.getByRole('dialog').getByRole('alert').count()).toBe(0);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('left nothing but the app shell in the service worker cache, after all those downloads and previews', async () => {
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
      }
      return urls;
    });
    expect(cached.length).toBeGreaterThan(0);
    for (const path of cached) {
      expect(path === '/' || path.startsWith('/_app/') || /^\/[\w.-]+(\/[\w.-]+)*$/.test(path), path).toBe(true);
      expect(path.startsWith('/api/') || path.startsWith('/_download/'), path).toBe(false);
    }
  });

  it('never sent a file name or file content to the server', () => {
    expect(requests.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      const leaks = requests.filter(
        ({ url, body }) => decodeURIComponent(url).includes(secret) || (body?.includes(secret) ?? false),
      );
      expect(
        leaks.map((leak) => leak.url),
        secret,
      ).toEqual([]);
    }
  });

  it("never sent a file name in any request's address or headers, the workers' and the service worker's included", () => {
    // The streamed previews' ranged reads come from the service worker, which the page's request events do not see.
    expect(
      server.received.some(({ url, headers }) => url.includes('/content') && headers.includes('range: bytes=')),
    ).toBe(true);
    for (const secret of secrets) {
      const leaks = server.received.filter(
        ({ url, headers }) => decodeURIComponent(url).includes(secret) || headers.includes(secret),
      );
      expect(
        leaks.map((leak) => leak.url),
        secret,
      ).toEqual([]);
    }
  });
});
