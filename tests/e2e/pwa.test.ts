/**
 * The installable app (PWA) of the built web app (web/build) in Chromium: the manifest and its icons make it
 * installable; with the service worker in control it opens offline to the offline notice and comes back; its caches
 * hold the built app shell byte for byte and nothing from the API. The share target has its own test,
 * share-target.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { ROOT } from '../run-command.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';

const WEB_BUILD = join(ROOT, 'web/build');

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose: string;
}

/** Width and height from a PNG's IHDR chunk, which must come first. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Every file of web/build by the path the server serves it at, with the SHA-256 of its bytes. */
async function builtFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(WEB_BUILD, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const sha256 = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    files.set(`/${relative(WEB_BUILD, path)}`, sha256);
  }
  return files;
}

describe('the installable app in Chromium', () => {
  let server: AppServer;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startAppServer('web app');
    // A profile on disk: Chromium does not offer to install an app from an incognito context, which newContext is.
    profile = await mkdtemp(join(tmpdir(), 'coffer-pwa-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('is installable, with the manifest and icons it declares, and its worker takes over the page at once', async () => {
    await page.goto(server.origin);
    const scriptURL = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
    expect(scriptURL).toBe(`${server.origin}/service-worker.js`);
    // The page loaded before the worker existed, and the worker claims it as it activates: no reload is needed.
    expect(
      await page.evaluate(() =>
        performance.getEntriesByType('navigation').map((entry) => (entry as PerformanceNavigationTiming).workerStart),
      ),
    ).toEqual([0]);
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state), { timeout: 10_000 })
      .toBe('activated');
    expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);
    const { errors, url } = await cdp.send('Page.getAppManifest');
    expect(errors).toEqual([]);
    expect(url).toBe(`${server.origin}/manifest.webmanifest`);

    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('application/manifest+json');
    const manifest = (await response.json()) as Record<string, unknown> & { icons: ManifestIcon[] };
    expect(manifest).toMatchObject({
      name: 'Coffer',
      short_name: 'Coffer',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      share_target: {
        action: '/share-target',
        method: 'POST',
        enctype: 'multipart/form-data',
        params: { files: [{ name: 'files', accept: ['*/*'] }] },
      },
    });
    expect(manifest.icons.map(({ sizes, purpose }) => `${sizes} ${purpose}`)).toEqual([
      '192x192 any',
      '512x512 any',
      '512x512 maskable',
    ]);
    for (const icon of manifest.icons) {
      const iconResponse = await fetch(new URL(icon.src, server.origin));
      expect(iconResponse.status, icon.src).toBe(200);
      expect(iconResponse.headers.get('content-type')).toBe('image/png');
      const { width, height } = pngSize(Buffer.from(await iconResponse.arrayBuffer()));
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
    }
  });

  it("sends the page's API requests past every service worker, and runs only pinned Web Worker scripts", async () => {
    // The upload's PUTs are the page's (lib/upload/segment-sender.ts): the app's static route sends them to the
    // network with no fetch event, which Resource Timing reports as the route's source. A worker's requests would wake
    // the service worker of its scope, which must have a fetch handler to pin the workers' scripts.
    const probe = 'self.onmessage = () => postMessage("ran");';
    await context.route('**/probe-worker.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: probe }),
    );
    await page.goto(server.origin);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope)))
      .toContain(`${server.origin}/_app/immutable/workers/`);
    const routeSources = await page.evaluate(async () => {
      await (await fetch('/api/probe', { method: 'PUT', body: 'x' })).text();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const entries = performance.getEntriesByType('resource').filter((entry) => entry.name.endsWith('/api/probe'));
      return entries.map((entry) => (entry.toJSON() as { workerFinalSourceType?: string }).workerFinalSourceType);
    });
    expect(routeSources).toEqual(['network']);
    // Under Trusted Types a worker's URL passes the app's default policy, which the app installs as it starts: the
    // probe, like the app's own code, makes its workers only after that.
    await page.waitForFunction(
      () => (window as { trustedTypes?: { defaultPolicy: unknown } }).trustedTypes?.defaultPolicy,
    );
    const runProbe = (url: string) =>
      page.evaluate(
        (scriptUrl) =>
          new Promise<string>((resolve) => {
            const worker = new Worker(scriptUrl);
            worker.onmessage = (event: MessageEvent<string>) => resolve(event.data);
            worker.onerror = (event) => {
              event.preventDefault();
              resolve(event.message);
            };
            worker.postMessage('go');
          }),
        url,
      );
    expect(await runProbe('/_app/immutable/workers/probe-worker.js')).toContain(
      'refused a worker script the server sent: /_app/immutable/workers/probe-worker.js is not part of Coffer',
    );
    expect(await runProbe('/probe-worker.js')).toBe('ran');
    await context.unroute('**/probe-worker.js');
  });

  it('opens offline to the offline notice, and comes back when the connection does', async () => {
    await page.goto(server.origin);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('button', { name: 'Create a passkey' }).click();
    await page.getByLabel('I have saved my recovery code').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('unlocked').waitFor();
    // A reload starts the app afresh, locked, from the page the worker answers.
    await page.reload();
    await page.waitForURL('**/unlock');
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');

    await context.setOffline(true);
    await page.reload();
    await page.getByText("You're offline. Coffer needs a connection to fetch your encrypted files.").waitFor();
    const retry = page.getByRole('button', { name: 'Retry' });
    await retry.click();
    await page.getByRole('status').getByText('Still no connection').waitFor();
    // Back online, the browser's 'online' event makes it try again by itself. Chromium's emulation does not fire it
    // in a page loaded while emulated offline (navigator.onLine stays true there), so the test fires it.
    await context.setOffline(false);
    await page.evaluate(() => dispatchEvent(new Event('online')));
    const unlock = page.getByRole('button', { name: 'Unlock with your passkey' });
    await unlock.waitFor();

    // The server out of reach while the browser believes it is online: only Retry brings the app back.
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.reload();
    await retry.waitFor();
    await page.unroute('**/api/**');
    await retry.click();
    await unlock.click();
    await page.getByTestId('unlocked').waitFor();
  });

  it('caches the built app shell, byte for byte, and nothing else', async () => {
    const cached = await page.evaluate(async () => {
      const entries: { cache: string; url: string; sha256: string }[] = [];
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
          const body = await (await cache.match(request))!.arrayBuffer();
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
          const sha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
          entries.push({ cache: name, url: request.url, sha256 });
        }
      }
      return entries;
    });
    const built = await builtFiles();
    expect(new Set(cached.map(({ cache }) => cache)).size).toBe(1);
    for (const { url, sha256 } of cached) {
      const { origin, pathname, search } = new URL(url);
      expect(`${origin}${search}`, url).toBe(server.origin);
      expect(pathname, url).not.toMatch(/^\/api\//);
      expect(sha256, url).toBe(built.get(pathname));
    }
    // Everything the app needs to start and route: its index, the boot script and every script and style.
    const needed = [...built.keys()].filter((path) => /^\/_app\/.*\.(js|css)$/.test(path));
    const cachedPaths = cached.map(({ url }) => new URL(url).pathname);
    expect(cachedPaths).toEqual(expect.arrayContaining(['/index.html', '/manifest.webmanifest', ...needed]));
  });

  it('broke no CSP rule', () => {
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });
});
