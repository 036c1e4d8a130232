/**
 * The installed app pins its build (threat model row 11), against a server whose copy of the built app (a temporary
 * copy of web/build) the test changes: a page changed without a new version is ignored and reported; a new version
 * whose files do not match its own hashes is refused and reported; a consistent new version waits, named by its
 * version and build hash, until the user accepts it; Settings shows the running build's hash.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellListing, shortBuildHash, type PinnedBuild } from '../../web/src/lib/pwa/pinned-build.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { ROOT } from '../run-command.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { signUpWithPasskey, unlockWithPasskey } from './sign-up.ts';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
/** The pinned build as tools/pin-build.ts writes it into the worker: a JSON string literal. */
const workerLiteral = (build: PinnedBuild) => JSON.stringify(JSON.stringify(build));
/** What the user reads in a notice, once it shows. */
async function shownText(locator: Locator): Promise<string> {
  await locator.waitFor({ timeout: 30_000 });
  return (await locator.innerText()).replace(/\s+/g, ' ');
}

describe('the pinned build', () => {
  let webRoot: string;
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let installed: PinnedBuild;
  let installedWorker: string;
  let installedIndex: string;

  /** What a server would publish as a new build: the installed worker, pinning these files under this version. */
  function buildOf(version: string, files: Record<string, string>): PinnedBuild {
    return { version, buildHash: sha256(shellListing(files)), files };
  }
  const publishWorker = (build: PinnedBuild) =>
    writeFile(
      join(webRoot, 'service-worker.js'),
      installedWorker.replace(workerLiteral(installed), workerLiteral(build)),
    );
  const servedPage = () => page.locator('meta[name="coffer-test-page"]').getAttribute('content');
  const withMarker = (content: string) =>
    installedIndex.replace(
      '<title>Coffer</title>',
      `<title>Coffer</title><meta name="coffer-test-page" content="${content}">`,
    );

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), 'coffer-pinned-build-'));
    await cp(join(ROOT, 'web/build'), webRoot, { recursive: true });
    const { version, buildHash, files } = JSON.parse(
      await readFile(join(webRoot, 'build-manifest.json'), 'utf8'),
    ) as PinnedBuild;
    installed = { version, buildHash, files };
    installedWorker = await readFile(join(webRoot, 'service-worker.js'), 'utf8');
    expect(installedWorker).toContain(workerLiteral(installed));
    installedIndex = await readFile(join(webRoot, 'index.html'), 'utf8');
    server = await startAppServer('web app', { webRoot });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext();
    page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
    await signUpWithPasskey(page, server.origin);
    await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, {
      timeout: 30_000,
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  });

  it('runs the pinned page when the server changes it without a new version, and says so', async () => {
    await writeFile(join(webRoot, 'index.html'), withMarker('changed without a new version'));
    await page.reload();
    expect(await shownText(page.getByTestId('build-page-differs'))).toContain(
      `The server is sending a copy of Coffer's page that is not part of the installed build (version ${installed.version}, build ${shortBuildHash(installed.buildHash)})`,
    );
    expect(await page.locator('meta[name="coffer-test-page"]').count()).toBe(0);
    await writeFile(join(webRoot, 'index.html'), installedIndex);
  });

  it('refuses a new version whose files do not match its hashes, and keeps serving the pinned copies', async () => {
    const chunk = Object.keys(installed.files).find((path) => path.startsWith('_app/immutable/nodes/'))!;
    const original = await readFile(join(webRoot, chunk), 'utf8');
    const refused = buildOf(`${installed.version}-refused`, installed.files);
    await publishWorker(refused);
    await writeFile(join(webRoot, chunk), `${original}\nglobalThis.tampered = true;\n`);
    await page.reload();
    const alert = page.getByTestId('build-refused');
    expect(await shownText(alert)).toContain(
      `Coffer refused a new version (version ${refused.version}, build ${shortBuildHash(refused.buildHash)}): files the server sent do not match`,
    );
    expect(await shownText(alert)).toContain(`/${chunk}: expected SHA-256 ${installed.files[chunk]}, received`);
    expect(await page.evaluate(async (path) => (await fetch(path)).text(), `/${chunk}`)).toBe(original);
    await writeFile(join(webRoot, chunk), original);
    await writeFile(join(webRoot, 'service-worker.js'), installedWorker);
  });

  it('shows a new version by its version and build hash, and runs it only once the user accepts it', async () => {
    const nextIndex = withMarker('next');
    const next = buildOf(`${installed.version}-next`, { ...installed.files, 'index.html': sha256(nextIndex) });
    await writeFile(join(webRoot, 'index.html'), nextIndex);
    await publishWorker(next);
    await page.reload();
    const arrived = page.getByTestId('build-arrived');
    expect(await shownText(arrived)).toContain(
      `A new version of Coffer arrived: version ${next.version}, build ${shortBuildHash(next.buildHash)}. It runs when you accept it`,
    );
    // Waiting is not running: the pinned page still answers, however often the user reloads.
    expect(await page.locator('meta[name="coffer-test-page"]').count()).toBe(0);
    await page.reload();
    await arrived.waitFor({ timeout: 30_000 });
    expect(await page.locator('meta[name="coffer-test-page"]').count()).toBe(0);
    expect(await page.getByTestId('build-page-differs').count()).toBe(0);

    await arrived.getByRole('button', { name: 'Run the new version' }).click();
    await expect.poll(servedPage, { timeout: 30_000 }).toBe('next');
    await unlockWithPasskey(page);
    await page.getByRole('link', { name: 'Settings' }).click();
    expect(await shownText(page.getByTestId('build-hash'))).toBe(next.buildHash);
    await page.getByText(`Version ${next.version}, build hash:`).waitFor();
    expect(await page.getByTestId('build-arrived').count()).toBe(0);
  });
});
