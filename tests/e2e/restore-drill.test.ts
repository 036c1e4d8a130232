/**
 * The restore drill through the real web app (issue 26): two people sign up in Chromium, each at their own browser
 * with their own passkey provider, on a server process on the embedded defaults (PGlite and blobs on disk). Alice
 * uploads a file and a folder with a folder inside, shares the folder with Bob as editor, and makes a share link to
 * the file; Bob accepts and uploads into the folder. Then `coffer backup`, the instance stopped and its data removed,
 * and `coffer restore` into a new instance, once on PGlite+fs and once on Postgres with a Ceph RGW bucket; each on the
 * same origin, so the passkeys still sign in. After each restore `coffer fsck` is clean, both people sign in again,
 * every file downloads byte for byte through the app, Bob still opens the shared folder, and the link opens for a
 * visitor with no account and downloads the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, startCephRgw, type CephRgw } from '../../tools/harness/ceph-rgw.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { runCoffer, startInstance, stopInstance, type InstanceEnv, type InstanceProcess } from '../instance-process.ts';
import { chooseHandle, goTo, signUpPerson } from './accounts.ts';
import { freePort } from './app-server.ts';
import { acceptAndOpenFolder, shareFolderAsEditor } from './folder-share.ts';
import { makeLink, openFiles, rowAction, upload, type MadeLink } from './link-owner.ts';

// Larger than one chunk of the app's uploads, so a file stored as several blobs comes back whole.
const linked = { name: 'report.bin', bytes: randomBytes(600_000) };
const notes = { name: 'notes.txt', bytes: Buffer.from('Pack the tent and the map.\n') };
const beach = { name: 'beach.bin', bytes: randomBytes(3000) };
const fromBob = { name: 'from-bob.bin', bytes: randomBytes(2000) };

/** Signs in again at the app's front page with the passkey the person signed up with, and unlocks. */
async function signInAgain(page: Page, origin: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(origin);
  await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.getByTestId('unlocked').waitFor();
}

/** Opens the folder `name` from the folder shown. */
async function openFolder(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name, exact: true }).click();
  await page.getByRole('heading', { name }).waitFor();
}

/** Downloads each file through its row's menu in the folder shown, and expects the bytes that were uploaded. */
async function expectDownloads(page: Page, files: { name: string; bytes: Buffer }[]): Promise<void> {
  for (const { name, bytes } of files) {
    const [download] = await Promise.all([page.waitForEvent('download'), rowAction(page, name, 'Download')]);
    expect(readFileSync((await download.path())!).equals(bytes), name).toBe(true);
  }
}

async function expectFsckClean(env: InstanceEnv): Promise<void> {
  const result = await runCoffer(['fsck', '--json'], env);
  expect(result.status, `${result.stderr}${result.stdout}`).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ orphanBlobs: [], missingBlobs: [], halfWrittenUploads: [] });
}

describe('the restore drill through the web app', { timeout: 240_000 }, () => {
  let work: string;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let link: MadeLink;
  let snapshot: string;
  let port: number;
  let origin: string;
  let instance: InstanceProcess | undefined;
  let rgw: CephRgw | undefined;
  let postgres: { url: string; drop: () => Promise<void> } | undefined;
  let cephStarted: Promise<unknown>;

  /** Every new instance listens where the first did, so the passkeys' origin and the link's address still hold. */
  const start = async (env: InstanceEnv) => {
    instance = await startInstance({ ...env, PORT: String(port), PUBLIC_ORIGIN: origin });
  };

  /** Restores the snapshot on `env`, checks it with fsck, and serves it in place of the instance running. */
  async function restoreAndServe(env: InstanceEnv): Promise<void> {
    const restored = await runCoffer(['restore', snapshot, '--json'], env);
    expect(restored.status, restored.stderr).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ accounts: 2 });
    await expectFsckClean(env);
    if (instance) await stopInstance(instance);
    await start(env);
  }

  /** Everything the people made is there again, seen through the app. */
  async function expectEverythingBack(): Promise<void> {
    await signInAgain(alice, origin);
    await openFiles(alice);
    await expectDownloads(alice, [linked]);
    await openFolder(alice, 'Trip');
    await expectDownloads(alice, [notes, fromBob]);
    // Bob's file is still known as his: his signing key and the file's signature came back with it.
    await alice.getByRole('row').filter({ hasText: fromBob.name }).getByText('added by @bob').waitFor();
    await openFolder(alice, 'Day one');
    await expectDownloads(alice, [beach]);

    await signInAgain(bob, origin);
    await goTo(bob, 'Shared with me');
    await bob.getByRole('list', { name: 'Shared with you' }).getByRole('link', { name: 'Trip' }).click();
    await bob.getByRole('heading', { name: 'Trip' }).waitFor();
    await expectDownloads(bob, [notes, fromBob]);
    await openFolder(bob, 'Day one');
    await expectDownloads(bob, [beach]);

    const visitor = await browser.newContext();
    try {
      const page = await visitor.newPage();
      await page.goto(link.url);
      await page.getByRole('heading', { name: linked.name }).waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download' }).click(),
      ]);
      expect(readFileSync((await download.path())!).equals(linked.bytes)).toBe(true);
    } finally {
      await visitor.close();
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-restore-drill-'));
    // Ceph takes a while to start: it does while the people use the first instance.
    cephStarted = Promise.all([startCephRgw(), createPostgresDatabase()]).then(([gateway, database]) => {
      rgw = gateway;
      postgres = database;
    });
    cephStarted.catch(() => undefined);
    port = await freePort();
    origin = `http://localhost:${port}`;
    const source: InstanceEnv = { DATA_DIR: join(work, 'source') };
    await start(source);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    alice = await signUpPerson(browser, origin);
    bob = await signUpPerson(browser, origin);
    await chooseHandle(alice, 'alice');
    await chooseHandle(bob, 'bob');

    const files = join(work, 'files');
    mkdirSync(join(files, 'Trip', 'Day one'), { recursive: true });
    writeFileSync(join(files, linked.name), linked.bytes);
    writeFileSync(join(files, 'Trip', notes.name), notes.bytes);
    writeFileSync(join(files, 'Trip', 'Day one', beach.name), beach.bytes);
    writeFileSync(join(files, fromBob.name), fromBob.bytes);
    await openFiles(alice);
    await upload(alice, [join(files, linked.name)], join(files, 'Trip'));

    await shareFolderAsEditor(alice, 'Trip', 'bob');
    link = await makeLink(alice, linked.name);

    await acceptAndOpenFolder(bob, 'alice', 'Trip');
    await upload(bob, [join(files, fromBob.name)]);

    const backup = await runCoffer(['backup', join(work, 'backups'), '--json'], source);
    expect(backup.status, backup.stderr).toBe(0);
    snapshot = (JSON.parse(backup.stdout) as { snapshot: string }).snapshot;
    // The instance is gone: its process and every file it kept.
    await stopInstance(instance!);
    instance = undefined;
    await rm(source.DATA_DIR!, { recursive: true, force: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (instance) await stopInstance(instance);
    await cephStarted.catch(() => undefined);
    await Promise.allSettled([rgw?.stop(), postgres?.drop()]);
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('restores into a new PGlite+fs instance, where everything downloads the same through the app', async () => {
    await restoreAndServe({ DATA_DIR: join(work, 'on-pglite') });
    await expectEverythingBack();
  });

  it('restores into Postgres with a Ceph RGW bucket, where everything downloads the same through the app', async () => {
    await cephStarted;
    const bucket = `coffer-drill-${Date.now()}`;
    await createBucket(rgw!, bucket);
    await restoreAndServe({
      DATA_DIR: join(work, 'on-postgres'),
      DATABASE_URL: postgres!.url,
      BLOB_STORE: 's3',
      S3_ENDPOINT: rgw!.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: rgw!.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw!.secretAccessKey,
    });
    await expectEverythingBack();
  });
});
