/**
 * The installed app pins its build (threat model row 11), against a server whose copy of the built app (a temporary
 * copy of web/build) the test changes: a page changed without a new version is ignored and reported; a new version
 * whose files do not match its own hashes is refused and reported; a consistent new version waits, named by its
 * version and build hash, until the user accepts it; Settings shows the running build's hash. Each change is recorded
 * (hostile-server/attacks.ts) with the notice the user read, and published under row 11 of docs/SECURITY.md's table.
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
import { hostileServer, type Mounted } from './hostile-server/attacks.ts';
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
  const hostile = hostileServer(import.meta.url);
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
  /**
   * The server's copy changed by `change` until restored by `restore`; it struck as often as the server was asked
   * for one of `files` (paths under web/build).
   */
  const serverCopyChanged = async (
    files: string[],
    change: () => Promise<unknown>,
    restore: () => Promise<unknown>,
  ): Promise<Mounted> => {
    const from = server.received.length;
    await change();
    return {
      get rewritten() {
        return server.received.slice(from).filter((request) => files.includes(new URL(request.url).pathname.slice(1)))
          .length;
      },
      restore: async () => void (await restore()),
    };
  };
  /** The pinned copies still run: the page the server changed is not the one in the tab. */
  const pinnedPageRuns = async () => {
    expect(await page.locator('meta[name="coffer-test-page"]').count()).toBe(0);
  };
  /** A notice as the table publishes it: the same words whatever the build's version and hashes. */
  const withoutBuild = (builds: PinnedBuild[]) => (seen: string) => {
    let text = seen
      .replace(/[0-9a-f]{64}/g, '(SHA-256)')
      .replace(/_app\/immutable\/nodes\/[\w.-]+\.js/g, '(a route chunk)');
    for (const build of builds) {
      text = text.replaceAll(shortBuildHash(build.buildHash), '(build hash)').replaceAll(build.version, '(version)');
    }
    return text;
  };

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
    await hostile.attack({
      row: 11,
      attack: "the installed app's page changed on the server, with no new service worker",
      mount: () =>
        serverCopyChanged(
          ['index.html'],
          () => writeFile(join(webRoot, 'index.html'), withMarker('changed without a new version')),
          () => writeFile(join(webRoot, 'index.html'), installedIndex),
        ),
      seen: async () => {
        await page.reload();
        const seen = await shownText(page.getByTestId('build-page-differs'));
        expect(seen).toContain(
          `The server is sending a copy of Coffer's page that is not part of the installed build (version ${installed.version}, build ${shortBuildHash(installed.buildHash)})`,
        );
        return seen;
      },
      stillOpens: pinnedPageRuns,
      normalise: withoutBuild([installed]),
    });
  });

  it('refuses a new version whose files do not match its hashes, and keeps serving the pinned copies', async () => {
    const chunk = Object.keys(installed.files).find((path) => path.startsWith('_app/immutable/nodes/'))!;
    const original = await readFile(join(webRoot, chunk), 'utf8');
    const refused = buildOf(`${installed.version}-refused`, installed.files);
    await hostile.attack({
      row: 11,
      attack: 'a new service worker whose pinned hashes do not match a route chunk the server changed',
      mount: () =>
        serverCopyChanged(
          ['service-worker.js', chunk],
          async () => {
            await publishWorker(refused);
            await writeFile(join(webRoot, chunk), `${original}\nglobalThis.tampered = true;\n`);
          },
          async () => {
            await writeFile(join(webRoot, chunk), original);
            await writeFile(join(webRoot, 'service-worker.js'), installedWorker);
          },
        ),
      seen: async () => {
        await page.reload();
        const seen = await shownText(page.getByTestId('build-refused'));
        expect(seen).toContain(
          `Coffer refused a new version (version ${refused.version}, build ${shortBuildHash(refused.buildHash)}): files the server sent do not match`,
        );
        expect(seen).toContain(`/${chunk}: expected SHA-256 ${installed.files[chunk]}, received`);
        return seen;
      },
      stillOpens: async () => {
        expect(await page.evaluate(async (path) => (await fetch(path)).text(), `/${chunk}`)).toBe(original);
      },
      normalise: withoutBuild([installed, refused]),
    });
  });

  it('shows a new version by its version and build hash, and runs it only once the user accepts it', async () => {
    const nextIndex = withMarker('next');
    const next = buildOf(`${installed.version}-next`, { ...installed.files, 'index.html': sha256(nextIndex) });
    const publishNext = async () => {
      await writeFile(join(webRoot, 'index.html'), nextIndex);
      await publishWorker(next);
    };
    const arrived = page.getByTestId('build-arrived');
    await hostile.attack({
      row: 11,
      attack: 'a new service worker, consistent with the new page it pins, published by the server',
      mount: () =>
        serverCopyChanged(['service-worker.js', 'index.html'], publishNext, async () => {
          await writeFile(join(webRoot, 'index.html'), installedIndex);
          await writeFile(join(webRoot, 'service-worker.js'), installedWorker);
        }),
      seen: async () => {
        await page.reload();
        const seen = await shownText(arrived);
        expect(seen).toContain(
          `A new version of Coffer arrived: version ${next.version}, build ${shortBuildHash(next.buildHash)}. It runs when you accept it`,
        );
        return seen;
      },
      // Waiting is not running: the pinned page still answers, however often the user reloads.
      stillOpens: async () => {
        await pinnedPageRuns();
        await page.reload();
        await arrived.waitFor({ timeout: 30_000 });
        await pinnedPageRuns();
        expect(await page.getByTestId('build-page-differs').count()).toBe(0);
      },
      normalise: withoutBuild([installed, next]),
    });

    // The user accepts it while the server still offers it.
    await publishNext();
    await arrived.getByRole('button', { name: 'Run the new version' }).click();
    await expect.poll(servedPage, { timeout: 30_000 }).toBe('next');
    await unlockWithPasskey(page);
    await page.getByRole('link', { name: 'Settings' }).click();
    expect(await shownText(page.getByTestId('build-hash'))).toBe(next.buildHash);
    await page.getByText(`Version ${next.version}, build hash:`).waitFor();
    expect(await page.getByTestId('build-arrived').count()).toBe(0);
  });

  it('publishes its attacks in docs/SECURITY.md', async () => {
    await hostile.checkPublished();
  });
});
