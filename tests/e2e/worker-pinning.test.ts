/**
 * The Web Workers' scripts are pinned too (threat model row 11): after the app is installed, the server changes the
 * upload worker's script in its copy of the built app (a temporary copy of web/build). The app refuses to run that
 * worker, and the upload says why; the rest of the app, the folder-opening worker included, keeps working.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PinnedBuild } from '../../web/src/lib/pwa/pinned-build.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { ROOT } from '../run-command.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { signUpWithPasskey, unlockWithPasskey } from './sign-up.ts';

describe("the Web Workers' pinned scripts", () => {
  let webRoot: string;
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let installed: PinnedBuild;
  let uploadWorker: string;

  const upload = async (name: string) => {
    const path = join(webRoot, '..', `${name}`);
    // Above the small-file batches' limit, so that an upload worker encrypts it.
    await writeFile(path, randomBytes(200_000));
    await page.getByLabel('Files to upload').setInputFiles(path);
  };
  const openFiles = () => page.getByRole('link', { name: 'Files', exact: true }).click();
  const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });

  beforeAll(async () => {
    webRoot = join(await mkdtemp(join(tmpdir(), 'coffer-worker-pinning-')), 'web');
    await cp(join(ROOT, 'web/build'), webRoot, { recursive: true });
    installed = JSON.parse(await readFile(join(webRoot, 'build-manifest.json'), 'utf8')) as PinnedBuild;
    uploadWorker = Object.keys(installed.files).find((path) =>
      /^_app\/immutable\/workers\/upload-worker-[\w-]+\.js$/.test(path),
    )!;
    expect(uploadWorker).toBeDefined();
    server = await startAppServer('web app', { webRoot });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext();
    page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
    await signUpWithPasskey(page, server.origin);
    await page.waitForFunction(
      async () =>
        navigator.serviceWorker.controller?.state === 'activated' &&
        (await navigator.serviceWorker.getRegistration('/_app/immutable/workers/'))?.active?.state === 'activated',
      null,
      { timeout: 30_000 },
    );
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(join(webRoot, '..'), { recursive: true, force: true });
  });

  it('runs the pinned upload worker', async () => {
    await openFiles();
    await upload('pinned.bin');
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor({ timeout: 60_000 });
    await row('pinned.bin').waitFor();
  });

  it('refuses an upload worker the server changed, says so, and the rest of the app keeps working', async () => {
    const original = await readFile(join(webRoot, uploadWorker), 'utf8');
    await writeFile(join(webRoot, uploadWorker), `${original}\nglobalThis.tampered = true;\n`);
    // A fresh page: the pinned worker already running would otherwise be reused.
    await page.reload();
    await unlockWithPasskey(page);
    await openFiles();
    await upload('refused.bin');
    const alert = page.getByRole('alert').filter({ hasText: 'refused.bin:' });
    await alert.waitFor({ timeout: 60_000 });
    expect((await alert.innerText()).replace(/\s+/g, ' ')).toContain(
      `Coffer ${installed.version} refused a worker script the server sent: /${uploadWorker}: expected SHA-256 ${installed.files[uploadWorker]}, received`,
    );
    // The folder opens (its worker is unchanged) and lists what was uploaded before; nothing refused is in it.
    await page.getByRole('link', { name: 'Settings' }).click();
    await openFiles();
    await row('pinned.bin').waitFor();
    expect(await row('refused.bin').count()).toBe(0);
    await writeFile(join(webRoot, uploadWorker), original);
  });
});
