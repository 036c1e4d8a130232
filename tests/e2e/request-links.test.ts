/**
 * File-request links end to end (issue 24, point 5), in the built web app: the owner, signed in with a passkey in a
 * context of their own, makes a request link for their files with "Request files"; a stranger in another context,
 * with no account and no authenticator, opens it, reads the owner's signed message and sends two files; the owner
 * accepts both, and downloads them identical. A server that swaps the owner's public key (a test-only rewrite of its
 * answer, with Playwright's page.route) is caught by the page, which names both fingerprints in words and sends
 * nothing. Every request both contexts sent that reached the server, the server's log, its database and its blobs
 * hold neither the files' names nor their content.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenRequestLinkResponse } from '../../shared/api/responses.ts';
import {
  decodeBase64url,
  encodeBase64url,
  FINGERPRINT_WORDS,
  fingerprintWords,
  WORDLIST,
} from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { signUpIn } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { acceptRequestUploads, downloadFile, makeRequestLink } from './link-owner.ts';
import { expectNoLeak, reachedServer, recordRequests, serverStore, type CapturedRequest } from './leak-scan.ts';

describe('file-request links in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let owner: Page;
  let dir: string;
  let requestUrl = '';
  const captured: CapturedRequest[] = [];
  const files = {
    'tax-scan-one.bin': Buffer.from(randomBytes(200_000)),
    'tax-scan-two.txt': Buffer.from('the second scan, in words that must stay private '.repeat(40)),
  };

  async function recordedContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    recordRequests(context, captured);
    return context;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-requests-e2e-'));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    owner = await signUpIn(await recordedContext(), server.origin);
    await owner.getByRole('link', { name: 'Files', exact: true }).click();
    await owner.getByRole('heading', { name: 'My files' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes two files from a stranger with no account, which the owner accepts and downloads identical', async () => {
    requestUrl = await makeRequestLink(owner, 'for the accountant', 'Please send this year’s scans');
    const id = new URL(requestUrl).pathname.split('/')[2]!;

    const stranger = await (await recordedContext()).newPage();
    await stranger.goto(requestUrl);
    await stranger.getByRole('heading', { name: 'Send files' }).waitFor();
    expect(stranger.url()).toBe(`${server.origin}/r/${id}`);
    expect(await stranger.getByTestId('request-message').textContent()).toBe('Please send this year’s scans');
    await stranger.getByTestId('request-limits').getByText('20 more file(s)').waitFor();
    await stranger.getByTestId('request-files').setInputFiles(Object.keys(files).map((name) => join(dir, name)));
    await stranger.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => stranger.getByText('Sent', { exact: true }).count(), { timeout: 30_000 }).toBe(2);
    await stranger.getByTestId('request-limits').getByText('18 more file(s)').waitFor();
    await stranger.context().close();

    // Away and back, in the app: a reload would lock the account.
    await owner.getByRole('link', { name: 'Links', exact: true }).click();
    await owner.getByTestId('request-link-row').getByText('2 of 20 files').waitFor();
    // A link's limits change after it exists.
    await owner.getByTestId('request-link-row').getByRole('button', { name: 'Edit' }).click();
    await owner.getByLabel('Most files').fill('25');
    await owner.getByRole('button', { name: 'Save' }).click();
    await owner.getByTestId('request-link-row').getByText('2 of 25 files').waitFor();
    await acceptRequestUploads(owner, 'for the accountant', Object.keys(files));
    for (const [name, content] of Object.entries(files))
      expect((await downloadFile(owner, name)).equals(content)).toBe(true);
  });

  it("refuses a swapped owner's key, naming both fingerprints in words, and sends nothing", async () => {
    const id = new URL(requestUrl).pathname.split('/')[2]!;
    const fingerprint = new URL(requestUrl).hash.slice(1);
    const swapped = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const swappedSpki = new Uint8Array(await crypto.subtle.exportKey('spki', swapped.publicKey));
    let signing = new Uint8Array();
    const context = await recordedContext();
    const page = await context.newPage();
    // A test-only tamper layer: the hostile server's answer, with another sharing key in place of the owner's.
    await page.route(`**/api/r/${id}`, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as OpenRequestLinkResponse;
      signing = decodeBase64url(body.ownerPublicKeys.signing);
      body.ownerPublicKeys.sharing = encodeBase64url(swappedSpki);
      await route.fulfill({ response, json: body });
    });
    await page.goto(requestUrl);
    await page.getByRole('heading', { name: "The server sent someone else's keys" }).waitFor();
    const refusal = (await page.getByTestId('request-refusal').textContent())!;
    const expected = Array.from(decodeBase64url(fingerprint).subarray(0, FINGERPRINT_WORDS), (b) => WORDLIST[b]!);
    const served = await fingerprintWords([swappedSpki, signing]);
    expect(refusal).toContain(expected.join(' '));
    expect(refusal).toContain(served.join(' '));
    expect(await page.getByTestId('request-files').count()).toBe(0);
    const uploadsAfter = captured.filter((request) => request.url.includes(`/api/r/${id}/uploads`)).length;
    await context.close();
    // Only the stranger of the first test began uploads: two files, and their chunks and completions.
    expect(captured.filter((request) => request.url.includes(`/api/r/${id}/uploads`)).length).toBe(uploadsAfter);
    expect(uploadsAfter).toBeGreaterThanOrEqual(6);
  });

  it('sends, logs and stores no name or content of the files in the clear', async () => {
    const { database, blobs } = await serverStore(server);
    expect(database.some((row) => row.includes('"request_link_id"'))).toBe(true);
    expect(blobs.length).toBeGreaterThan(0);
    const reached = new Set(server.received.map((request) => request.url));
    expect(captured.some((request) => reached.has(request.url) && request.url.includes('/api/r/'))).toBe(true);
    const secrets = [
      ...Object.keys(files).map((name) => Buffer.from(name)),
      Buffer.from('for the accountant'),
      files['tax-scan-one.bin'].subarray(5000, 5064),
      Buffer.from('in words that must stay private'),
    ];
    expectNoLeak(secrets, reachedServer(server, captured, database), blobs);
  });
});
