/**
 * What the service worker answers by itself, in Chromium against the built app: a download whose ciphertext the server
 * altered is refused with a message that names the file, whether the page or the worker decrypts it; every response
 * the worker makes carries its sandbox and nosniff headers; a preview's type from the file's metadata is served only
 * when it is media. The whole run is under the app's Trusted Types policy, and nothing may break it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Download, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { signUpWithPasskey, unlockWithPasskey } from './sign-up.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';

function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(offset + 65536, length)));
  }
  return out;
}

describe("the service worker's own responses in Chromium", () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  /** What the browser logged: Trusted Types violations and features the Permissions-Policy names wrongly show here. */
  const problems: string[] = [];

  const revisionsOnDisk = () => {
    try {
      return new Set(readdirSync(join(server.blobRoot, 'revisions')));
    } catch {
      return new Set<string>();
    }
  };
  /** Uploads a file and returns the directory the server keeps its ciphertext in. */
  const upload = async (name: string, content: Buffer, mimeType = 'application/octet-stream') => {
    const before = revisionsOnDisk();
    await page.getByLabel('Files to upload').setInputFiles({ name, mimeType, buffer: content });
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    const added = [...revisionsOnDisk()].filter((revision) => !before.has(revision));
    expect(added).toHaveLength(1);
    return join(server.blobRoot, 'revisions', added[0]!);
  };
  /** Flips one byte inside the second chunk (chunks hold 512 KiB): the stored ciphertext, altered by the server. */
  const tamper = (revisionDir: string) => {
    const [segment] = readdirSync(revisionDir).filter((name) => /^\d+(-\d+)?$/.test(name));
    const path = join(revisionDir, segment!);
    const bytes = readFileSync(path);
    bytes[600_000] = bytes[600_000]! ^ 0x01;
    writeFileSync(path, bytes);
  };
  const download = async (name: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    await page
      .getByRole('row')
      .filter({ has: page.getByRole('button', { name, exact: true }) })
      .getByRole('button', { name: 'Download', exact: true })
      .click();
  };
  /** The headers of a response of the worker, fetched from the page. */
  const workerResponse = (url: string) =>
    page.evaluate(async (url) => {
      const response = await fetch(url, { headers: { range: 'bytes=0-' } });
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        csp: response.headers.get('content-security-policy'),
        nosniff: response.headers.get('x-content-type-options'),
        cacheControl: response.headers.get('cache-control'),
      };
    }, url);
  const tampered = randomBytes(1_300_000);

  /** A new account signed up in a browser context of its own, on its Files page. */
  const signedInPage = async (serviceWorkers: 'allow' | 'block') => {
    const context = await browser.newContext({ serviceWorkers });
    const signedIn = await context.newPage();
    if (serviceWorkers === 'allow') {
      // The page the run keeps; where workers are blocked, the app says so in the console, which is no problem.
      signedIn.on('console', (message) => {
        if (message.type() === 'error' || /trusted|permissions-policy/i.test(message.text()))
          problems.push(message.text());
      });
      signedIn.on('pageerror', (error) => problems.push(error.message));
    }
    const cdp = await context.newCDPSession(signedIn);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
    await signUpWithPasskey(signedIn, server.origin);
    await signedIn.getByRole('link', { name: 'Files', exact: true }).click();
    return signedIn;
  };

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await signedInPage('allow');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('names the file whose content the server altered, when the page decrypts the download itself', async () => {
    // The page decrypts downloads itself where no service worker runs (a browser or private window that refuses them).
    const withWorker = page;
    page = await signedInPage('block');
    try {
      expect(await page.evaluate(() => navigator.serviceWorker?.controller ?? null)).toBeNull();
      tamper(await upload('tampered.bin', tampered));
      await download('tampered.bin');
      await expect
        .poll(() => page.getByRole('alert').allTextContents())
        .toContainEqual(
          expect.stringMatching(/^"tampered\.bin" failed the integrity check: the server altered or lost/),
        );
    } finally {
      await page.context().close();
      page = withWorker;
    }
  });

  it('names it too when the service worker streams the download, which the browser lists as failed', async () => {
    tamper(await upload('tampered.bin', tampered));
    await page.reload();
    await unlockWithPasskey(page);
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    const [started] = await Promise.all([page.waitForEvent('download'), download('tampered.bin')]);
    expect(await (started as Download).failure()).not.toBeNull();
    const alert = page.getByRole('alert').filter({ hasText: 'tampered.bin' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /^"tampered\.bin" failed the integrity check: the server altered or lost its content, so it was refused \(chunk 1 failed authentication/,
    );
  });

  it('still saves an intact file through the worker, and clears the message', async () => {
    const intact = randomBytes(700_000);
    await upload('intact.bin', intact);
    const [saved] = await Promise.all([page.waitForEvent('download'), download('intact.bin')]);
    expect(readFileSync((await (saved as Download).path())!).equals(intact)).toBe(true);
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
  });

  it('sends the sandbox and nosniff headers on every response the worker makes, errors included', async () => {
    for (const url of [`/_download/${crypto.randomUUID()}`, `/_media/${crypto.randomUUID()}`]) {
      expect(await workerResponse(url)).toEqual({
        status: 404,
        contentType: 'text/plain; charset=utf-8',
        csp: 'sandbox',
        nosniff: 'nosniff',
        cacheControl: 'no-store',
      });
    }
  });

  it("serves a preview whose metadata claims a page's type as bytes nothing renders", async () => {
    // The file's type comes from whoever made it; previewed as a video by its name, it must never become a document.
    const page_ = '<html xmlns="http://www.w3.org/1999/xhtml"><script>document.title = "ran"</script></html>';
    await upload('trick.mp4', Buffer.from(page_), 'application/xhtml+xml');
    await page.getByRole('button', { name: 'trick.mp4', exact: true }).click();
    const video = page.getByRole('dialog').locator('video');
    await video.waitFor({ state: 'attached' });
    const src = (await video.getAttribute('src'))!;
    expect(src).toMatch(/^\/_media\//);
    expect(await workerResponse(src)).toEqual({
      status: 206,
      contentType: 'application/octet-stream',
      csp: 'sandbox',
      nosniff: 'nosniff',
      cacheControl: 'no-store',
    });
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('ran under Trusted Types, which refuse HTML from a string, without one violation or policy warning', async () => {
    // Sign-up, unlock, uploads (Web Workers), previews and downloads: the 404s above are the only failures logged.
    expect(problems.filter((problem) => !/^Failed to load resource/.test(problem))).toEqual([]);
    const refused = await page.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<b>from a string</b>';
        return null;
      } catch (error) {
        return String(error);
      }
    });
    expect(refused).toMatch(/TrustedHTML/);
  });
});
