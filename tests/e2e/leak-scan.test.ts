/**
 * The leak scan (issue 22): one whole session in the built web app, then a search of everything the server received or
 * kept for every secret of it. Alice (a passkey with PRF) and Bob (a passkey without PRF, so a passphrase) sign up,
 * each at their own browser, and a stranger comes with no account and no authenticator. Alice uploads a file and makes
 * a folder, shares the folder with Bob, who accepts, opens it and uploads into it; she makes a password share link,
 * which the stranger opens and downloads, and a file-request link, through which the stranger sends a file she
 * accepts. The names, the contents, the passphrase, the link's password and secret, both recovery codes and every
 * secret key the pages handed to WebCrypto (the PRF output, master keys, private keys, node and file keys) are then
 * looked for, in the clear, hex, base64 (padded or not) and base64url, in: every request the three browsers sent that
 * reached the server, with its body, and every request the server received (its service worker's too); the server's
 * JSON log; its /metrics; its audit log; every row of its database and every file of its PGlite directory; every file
 * of its blob store; every file of a `coffer backup`; and a pg_dump of that backup restored into Postgres 15. Any hit
 * fails the test, naming the secret, its form and where it was found.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64url, parseRecoveryCode } from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { createPostgresDatabase, queryRows } from '../../tools/harness/test-databases.ts';
import { runCoffer } from '../instance-process.ts';
import { chooseHandle, pageWithPasskeyProvider } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { acceptAndOpenFolder, shareFolderAsEditor } from './folder-share.ts';
import {
  fileKeys,
  filesIn,
  findLeaks,
  recordRequests,
  recordSecretKeys,
  serverStore,
  streamKeys,
  type CapturedRequest,
  type LeakPlace,
} from './leak-scan.ts';
import {
  acceptRequestUploads,
  downloadFile,
  makeLink,
  makeRequestLink,
  openFiles,
  upload,
  type MadeLink,
} from './link-owner.ts';
import { confirmRecoveryKit, createAccountToRecoveryKit } from './sign-up.ts';

const METRICS_TOKEN = 'leak-scan-metrics-token';

describe('the leak scan of a whole session', { timeout: 180_000 }, () => {
  // Every marker carries this run's own tag, so that nothing else on the server can hold it by chance; and none has
  // a character that URL or JSON encoding would change, so that it leaks in the clear wherever it leaks.
  const tag = randomBytes(6).toString('hex');
  const aliceFile = { name: `alice-tax-return-${tag}.txt`, content: `Alice-earned-a-secret-sum-${tag}` };
  const bobFile = { name: `bob-holiday-plan-${tag}.txt`, content: `Bob-goes-somewhere-secret-${tag}` };
  const strangerFile = { name: `stranger-scan-${tag}.txt`, content: `The-stranger-sends-a-secret-${tag}` };
  const folder = `Family-papers-${tag}`;
  const passphrase = `bob-passphrase-${tag}-tulip-orbit`;
  const linkPassword = `link-password-${tag}`;
  const requestLabel = `request-label-${tag}`;

  let work: string;
  let dataDir: string;
  let server: AppServer;
  let serverOpen = false;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let stranger: Page;
  let link: MadeLink;
  /** Every request of the three browsers, with its body; every secret key their pages held; the secrets by name. */
  const captured: CapturedRequest[] = [];
  const secretKeys = new Set<string>();
  const secrets = new Map<string, Buffer>();

  async function watchedContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    recordRequests(context, captured);
    await recordSecretKeys(context, secretKeys);
    return context;
  }

  /** Signs up in a new browser, past the recovery kit, whose code is kept as a secret; a passphrase means no PRF. */
  async function signUp(name: string, withPassphrase?: string): Promise<Page> {
    const page = await pageWithPasskeyProvider(await watchedContext(), withPassphrase === undefined);
    const code = await createAccountToRecoveryKit(page, server.origin, withPassphrase);
    secrets.set(`${name}'s recovery code`, Buffer.from(code));
    secrets.set(`${name}'s recovery key`, Buffer.from(parseRecoveryCode(code)));
    await confirmRecoveryKit(page);
    return page;
  }

  const path = (name: string) => join(work, 'files', name);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-leak-scan-'));
    dataDir = join(work, 'instance');
    await mkdir(join(work, 'files'));
    for (const file of [aliceFile, bobFile, strangerFile]) await writeFile(path(file.name), file.content);
    server = await startAppServer('web app', { dataDir, metricsToken: METRICS_TOKEN });
    serverOpen = true;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (serverOpen) await server.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('runs a session of two accounts and a stranger through shares, a password link and a request link', async () => {
    alice = await signUp('Alice');
    bob = await signUp('Bob', passphrase);
    await chooseHandle(alice, 'alice');
    await chooseHandle(bob, 'bob');

    await openFiles(alice);
    await upload(alice, [path(aliceFile.name)]);
    await alice.getByRole('button', { name: 'New folder' }).click();
    await alice.getByLabel('Name', { exact: true }).fill(folder);
    await alice.getByRole('button', { name: 'Create', exact: true }).click();
    await shareFolderAsEditor(alice, folder, 'bob');

    await acceptAndOpenFolder(bob, 'alice', folder);
    await upload(bob, [path(bobFile.name)]);

    link = await makeLink(alice, aliceFile.name, { password: linkPassword });
    secrets.set("the link's secret", Buffer.from(decodeBase64url(link.secret)));
    secrets.set("the link's wrapping secret", Buffer.from(link.keys.wrappingSecret));
    stranger = await (await watchedContext()).newPage();
    await stranger.goto(link.url);
    await stranger.getByRole('heading', { name: 'This link has a password' }).waitFor();
    await stranger.getByLabel('Password').fill(linkPassword);
    await stranger.getByRole('button', { name: 'Open' }).click();
    await stranger.getByRole('heading', { name: aliceFile.name }).waitFor();
    const [download] = await Promise.all([
      stranger.waitForEvent('download'),
      stranger.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect((await readFile((await download.path())!)).toString()).toBe(aliceFile.content);

    const requestUrl = await makeRequestLink(alice, requestLabel, 'Please send your scan');
    await stranger.goto(requestUrl);
    await stranger.getByRole('heading', { name: 'Send files' }).waitFor();
    await stranger.getByTestId('request-files').setInputFiles([path(strangerFile.name)]);
    await stranger.getByRole('button', { name: 'Send' }).click();
    await stranger.getByText('Sent', { exact: true }).waitFor({ timeout: 30_000 });
    await acceptRequestUploads(alice, requestLabel, [strangerFile.name]);
    expect((await downloadFile(alice, strangerFile.name)).toString()).toBe(strangerFile.content);
  });

  it('finds no name, content, passphrase, password, recovery code or key anywhere the server received or kept', async () => {
    for (const file of [aliceFile, bobFile, strangerFile]) {
      secrets.set(`the file name ${file.name}`, Buffer.from(file.name));
      secrets.set(`the content of ${file.name}`, Buffer.from(file.content));
    }
    secrets.set('the folder name', Buffer.from(folder));
    secrets.set("Bob's passphrase", Buffer.from(passphrase));
    secrets.set("the link's password", Buffer.from(linkPassword));
    secrets.set("the request link's label", Buffer.from(requestLabel));
    // Short key material (a salt, an empty info) would be found anywhere by chance; keys are 16 bytes or more.
    const pageKeys = [...secretKeys].filter((hex) => hex.length >= 32).map((hex) => Buffer.from(hex, 'hex'));
    expect(pageKeys.length).toBeGreaterThan(20);
    const keysByFile = await fileKeys(server.db, pageKeys);
    const derivedInWorkers = await streamKeys(server.db, keysByFile);
    expect(derivedInWorkers.length).toBeGreaterThan(keysByFile.size);
    for (const key of [...pageKeys, ...keysByFile.values(), ...derivedInWorkers]) {
      secrets.set(`the key ${key.toString('hex')}`, key);
    }

    const metrics = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    const metricsText = await metrics.text();
    const audit = await queryRows<{ row: string }>(
      server.db,
      sql`select row_to_json(a)::text as row from audit_events a`,
    );
    expect(audit.length).toBeGreaterThan(0);
    // Every row, with the tables a backup leaves out, before the server closes and its PGlite is written out.
    const { database } = await serverStore(server);
    const reached = new Set(server.received.map((request) => request.url));
    const requests = captured.filter((request) => reached.has(request.url));
    expect(requests.some((request) => request.url.includes('/api/r/') && request.body.length > 0)).toBe(true);

    const backup = await runCoffer(['backup', join(work, 'backups'), '--json'], { DATA_DIR: dataDir });
    expect(backup.status, backup.stderr).toBe(0);
    await browser.close();
    await server.close();
    serverOpen = false;
    const postgres = await createPostgresDatabase();
    let dump: Buffer;
    try {
      const restored = await runCoffer(['restore', (JSON.parse(backup.stdout) as { snapshot: string }).snapshot], {
        DATA_DIR: join(work, 'restored'),
        DATABASE_URL: postgres.url,
      });
      expect(restored.status, restored.stderr).toBe(0);
      dump = (await promisify(execFile)('pg_dump', ['--dbname', postgres.url], { encoding: 'buffer', maxBuffer: 1e9 }))
        .stdout;
    } finally {
      await postgres.drop();
    }
    expect(dump.toString()).toContain('COPY public.audit_events');

    const text = (where: string, content: string | Buffer): LeakPlace => ({ where, bytes: Buffer.from(content) });
    const places: LeakPlace[] = [
      ...requests.map((request) =>
        text(
          `the request to ${request.url}`,
          Buffer.concat([Buffer.from(`${request.url}\n${request.headers}\n`), request.body]),
        ),
      ),
      ...server.received.map((request) =>
        text(`the server's record of ${request.url}`, `${request.url}\n${request.headers}`),
      ),
      text("the server's log", server.logged.join('\n')),
      text('/metrics', metricsText),
      text('the audit log', audit.map(({ row }) => row).join('\n')),
      text('the rows of the database', database.join('\n')),
      text('the pg_dump of the restored backup', dump),
      ...filesIn('the PGlite directory:', join(dataDir, 'pglite')),
      ...filesIn('the blob store:', join(dataDir, 'blobs')),
      ...filesIn('the backup:', join(work, 'backups')),
    ];
    expect(findLeaks(secrets, places)).toEqual([]);

    // The search finds what is meant to be there: the handle, public, in every copy of the database; the link's
    // access token, sent as its requests' Authorization, in those requests only (the database keeps its hash).
    const handle = findLeaks(new Map([['the handle', Buffer.from('alice')]]), places).join('\n');
    for (const copy of ['the rows of the database', 'the PGlite directory:', 'the pg_dump', 'the backup:']) {
      expect(handle).toContain(copy);
    }
    const token = findLeaks(new Map([['the token', link.token]]), places);
    expect(token.length).toBeGreaterThan(0);
    for (const hit of token)
      expect(hit).toMatch(/^the token as .+ in the (request to|server's record of) \S+\/api\/s\//);
  });
});
