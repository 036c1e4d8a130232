/**
 * Sharing between two accounts in the built web app, each person at their own browser with their own passkey
 * provider (issue 25): both choose handles; the owner shares a file as viewer and a folder as editor after comparing
 * the recipient's fingerprint words with those the recipient's settings show, and is stopped with a warning when the
 * server then gives other keys for the recipient (substituted in the responses, as a hostile server would); the
 * recipient sees both as from an unverified sender until comparing the owner's words, accepts, previews and downloads
 * the file, and uploads into the folder; the owner sees who added that file and downloads it; then the owner removes
 * the recipient, whose app says the folder is no longer shared and whose requests for it the server refuses; and the
 * recipient removes the file from their own list. Throughout, every request both browsers send, the server's log, its
 * database and its blobs are kept, and at the end searched for every secret key the pages held, the names and the
 * content, in the clear and in the encodings a leak would take.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Download, type Page, type Request } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAccountKeyPairs } from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { chooseHandle, goTo, signUpIn } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import {
  expectNoLeak,
  fileKeys,
  reachedServer,
  recordRequests,
  recordSecretKeys,
  serverStore,
  type CapturedRequest,
} from './leak-scan.ts';
import { unlockWithPasskey } from './sign-up.ts';
import { substitutePublishedKeys } from './tamper.ts';

describe('sharing between two accounts in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let dir: string;
  let owner: Page;
  let recipient: Page;

  /** Every request of both people's browsers, with its body; and every secret key their pages held. */
  const captured: CapturedRequest[] = [];
  const secretKeys = new Set<string>();

  async function person(): Promise<Page> {
    const context = await browser.newContext();
    await recordSecretKeys(context, secretKeys);
    recordRequests(context, captured);
    return signUpIn(context, server.origin);
  }
  const file = (name: string, content: Buffer | string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const row = (page: Page, name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const action = async (page: Page, name: string, label: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    await row(page, name).getByRole('button', { name: label, exact: true }).click();
  };
  const waitForUploads = async (page: Page) => {
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
  };
  const downloaded = async (page: Page, start: () => Promise<unknown>): Promise<Buffer> => {
    const [download] = await Promise.all([page.waitForEvent('download'), start()]);
    return readFileSync((await (download as Download).path())!);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-sharing-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    owner = await person();
    recipient = await person();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const report = 'Numbers for the quarter, for Ray only.\n';
  const added = randomBytes(150_000);
  let folderId = '';

  it('shares a file as viewer and a folder as editor, after comparing fingerprint words', async () => {
    await chooseHandle(owner, 'olivia');
    await chooseHandle(recipient, 'ray');
    const rayWords = (await recipient.getByTestId('fingerprint').textContent())!.trim();

    await goTo(owner, 'Files');
    await owner.getByRole('heading', { name: 'My files' }).waitFor();
    await owner.getByLabel('Files to upload').setInputFiles(file('report.txt', report));
    await waitForUploads(owner);
    await owner.getByRole('button', { name: 'New folder' }).click();
    await owner.getByLabel('Name', { exact: true }).fill('Projects');
    await owner.getByRole('button', { name: 'Create', exact: true }).click();
    await row(owner, 'Projects').waitFor();

    await action(owner, 'report.txt', 'Share');
    const dialog = owner.getByRole('dialog', { name: 'Share “report.txt”' });
    await dialog.getByLabel('Their handle').fill('ray');
    await dialog.getByRole('button', { name: 'Find' }).click();
    await dialog.getByText('@ray is not among your contacts yet').waitFor();
    expect((await dialog.getByTestId('share-fingerprint').textContent())!.trim()).toBe(rayWords);
    await dialog.getByRole('button', { name: 'I compared them: mark verified' }).click();
    await dialog.getByText('(verified contact)').waitFor();
    await dialog.getByLabel('View and download (viewer)').check();
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Shared with @ray as viewer.' }).waitFor();
    await dialog.getByText('@ray · viewer · not accepted yet').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Ray is pinned now: the folder is shared without comparing again.
    await action(owner, 'Projects', 'Share');
    const folderDialog = owner.getByRole('dialog', { name: 'Share “Projects”' });
    await folderDialog.getByLabel('Their handle').fill('RAY');
    await folderDialog.getByRole('button', { name: 'Find' }).click();
    await folderDialog.getByLabel(/editor/).check();
    await folderDialog.getByRole('button', { name: 'Share', exact: true }).click();
    await folderDialog.getByText('@ray · editor · not accepted yet').waitFor();
    await folderDialog.getByRole('button', { name: 'Close' }).click();
  });

  it('stops a share with a warning when the server gives other keys for a pinned contact', async () => {
    const substituted = await substitutePublishedKeys(owner.context(), 'ray', await generateAccountKeyPairs());
    const sharesMade: string[] = [];
    const record = (request: Request) => {
      if (request.method() === 'POST' && request.url().endsWith('/api/shares')) sharesMade.push(request.url());
    };
    owner.on('request', record);
    try {
      await goTo(owner, 'Files');
      await action(owner, 'report.txt', 'Share');
      const dialog = owner.getByRole('dialog', { name: 'Share “report.txt”' });
      await dialog.getByLabel('Their handle').fill('ray');
      await dialog.getByRole('button', { name: 'Find' }).click();
      const warning = dialog.getByRole('alert').filter({ hasText: 'Warning: the keys of @ray have changed' });
      await warning.getByText('Nothing was shared.').waitFor();
      expect(await dialog.getByRole('button', { name: 'Share', exact: true }).count()).toBe(0);
      await warning.getByRole('button', { name: 'Do not share' }).click();
      await dialog.getByRole('button', { name: 'Close' }).click();
    } finally {
      owner.off('request', record);
      await substituted.restore();
    }
    expect(substituted.rewritten).toBeGreaterThan(0);
    expect(sharesMade).toEqual([]);
  });

  it('lets the recipient accept both, from an unverified sender, then preview and download the file', async () => {
    await goTo(recipient, 'Shared with me');
    const waiting = recipient.getByRole('list', { name: 'Waiting for your answer' }).getByRole('listitem');
    await expect.poll(() => waiting.count()).toBe(2);
    for (const text of await waiting.allTextContents()) {
      expect(text).toContain('from @olivia');
      expect(text).toContain('(from an unverified sender)');
    }
    // Ray compares Olivia's words with those her settings show, and marks her verified: both shares say so.
    await goTo(owner, 'Settings');
    const oliviaWords = (await owner.getByTestId('fingerprint').textContent())!.trim();
    await recipient.getByRole('button', { name: 'Verify @olivia' }).first().click();
    const verify = recipient.getByRole('dialog', { name: 'Verify @olivia' });
    await expect
      .poll(async () => (await verify.getByTestId('sender-fingerprint').textContent())?.trim())
      .toBe(oliviaWords);
    await verify.getByRole('button', { name: 'I compared them: mark verified' }).click();
    await expect.poll(() => recipient.getByText('(from an unverified sender)').count()).toBe(0);
    expect(await waiting.count()).toBe(2);
    await recipient.getByRole('button', { name: 'Accept the share from @olivia' }).first().click();
    await expect.poll(() => waiting.count()).toBe(1);
    await recipient.getByRole('button', { name: 'Accept the share from @olivia' }).click();
    await recipient.getByText('Nothing is waiting.').waitFor();

    const shared = recipient.getByRole('list', { name: 'Shared with you' });
    await shared.getByRole('button', { name: 'report.txt', exact: true }).click();
    expect(await recipient.getByTestId('preview-text').textContent()).toBe(report);
    await recipient.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    const bytes = await downloaded(recipient, () =>
      shared.getByRole('button', { name: 'Download report.txt' }).click(),
    );
    expect(bytes.toString()).toBe(report);
  });

  it('lets the editor upload into the shared folder, and the owner sees who added it and downloads it', async () => {
    await recipient.getByRole('link', { name: 'Projects' }).click();
    await recipient.getByRole('heading', { name: 'Projects' }).waitFor();
    folderId = recipient.url().split('/').at(-1)!;
    await recipient.getByLabel('Files to upload').setInputFiles(file('from-ray.bin', added));
    await waitForUploads(recipient);
    await row(recipient, 'from-ray.bin').getByText('added by you').waitFor();

    await goTo(owner, 'Files');
    await owner.getByRole('button', { name: 'Projects', exact: true }).click();
    await owner.getByRole('heading', { name: 'Projects' }).waitFor();
    await row(owner, 'from-ray.bin').getByText('added by @ray').waitFor();
    const bytes = await downloaded(owner, () => action(owner, 'from-ray.bin', 'Download'));
    expect(bytes.equals(added)).toBe(true);
  });

  it("refuses the editor's file when the server credits it to the owner, whose key did not sign it", async () => {
    const ownerId = ((await (await owner.request.get(`${server.origin}/api/account`)).json()) as { userId: string })
      .userId;
    const listing = `**/api/nodes/${folderId}/children`;
    // A test-only tamper layer standing for a hostile server: the listing names the owner as the editor's file's author.
    await owner.route(listing, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { children: { authorId: string | null }[] };
      for (const child of body.children) if (child.authorId && child.authorId !== ownerId) child.authorId = ownerId;
      await route.fulfill({ response, json: body });
    });
    await goTo(owner, 'Files');
    await owner.getByRole('button', { name: 'Projects', exact: true }).click();
    await owner.getByRole('heading', { name: 'Projects' }).waitFor();
    await owner.getByRole('alert').filter({ hasText: 'One item in this folder failed the integrity check' }).waitFor();
    await expect.poll(() => row(owner, 'from-ray.bin').count()).toBe(0);

    await owner.unroute(listing);
    await goTo(owner, 'Files');
    await owner.getByRole('button', { name: 'Projects', exact: true }).click();
    await row(owner, 'from-ray.bin').getByText('added by @ray').waitFor();
  });

  it('removes the recipient: their app says the folder is no longer shared, and the server refuses them', async () => {
    await goTo(owner, 'Files');
    await action(owner, 'Projects', 'Share');
    const dialog = owner.getByRole('dialog', { name: 'Share “Projects”' });
    await dialog.getByRole('button', { name: 'Remove @ray' }).click();
    await dialog
      .getByRole('status')
      .filter({ hasText: "@ray no longer has access, and this folder's keys were changed" })
      .waitFor();
    await dialog.getByText('Only you.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The owner's tree opens under the rotated keys, from the server's new wraps after a reload.
    await owner.reload();
    await unlockWithPasskey(owner);
    await goTo(owner, 'Files');
    await owner.getByRole('button', { name: 'Projects', exact: true }).click();
    await owner.getByRole('heading', { name: 'Projects' }).waitFor();
    const bytes = await downloaded(owner, () => action(owner, 'from-ray.bin', 'Download'));
    expect(bytes.equals(added)).toBe(true);

    // The recipient, still in the app, goes back to the folder it had open.
    await goTo(recipient, 'Files');
    await recipient.getByRole('heading', { name: 'My files' }).waitFor();
    await recipient.goBack();
    await recipient.getByText('This folder is no longer shared with you').waitFor();
    await expect.poll(() => row(recipient, 'from-ray.bin').count()).toBe(0);
    for (const path of [`/api/nodes/${folderId}`, `/api/nodes/${folderId}/children`, `/api/nodes/${folderId}/path`]) {
      expect([403, 404]).toContain((await recipient.request.get(`${server.origin}${path}`)).status());
    }
    // After a reload, the file shared as viewer is still theirs to open; the folder is gone from their list.
    await recipient.reload();
    await unlockWithPasskey(recipient);
    await goTo(recipient, 'Shared with me');
    const shared = recipient.getByRole('list', { name: 'Shared with you' });
    await shared.getByRole('button', { name: 'report.txt', exact: true }).waitFor();
    expect(await shared.getByRole('link', { name: 'Projects' }).count()).toBe(0);
  });

  it("lets the recipient remove a share from their list, which ends their access and leaves the owner's file", async () => {
    const shared = recipient.getByRole('list', { name: 'Shared with you' });
    const fileId = await recipient.evaluate(async () => {
      const response = await fetch('/api/shares/incoming');
      return ((await response.json()) as { shares: { nodeId: string }[] }).shares[0]!.nodeId;
    });
    await shared.getByRole('button', { name: 'Remove report.txt from your list' }).click();
    await recipient.getByText('Nothing yet.').waitFor();
    expect((await recipient.request.get(`${server.origin}/api/nodes/${fileId}`)).status()).toBe(404);

    await goTo(owner, 'Files');
    await row(owner, 'report.txt').waitFor();
    await action(owner, 'report.txt', 'Share');
    const dialog = owner.getByRole('dialog', { name: 'Share “report.txt”' });
    await dialog.getByText('@ray · viewer · declined').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('sends, logs and stores no key, name or content in the clear', async () => {
    // The pages held keys and the browsers sent requests, so the checks below have something to find.
    expect(secretKeys.size).toBeGreaterThan(20);
    expect(captured.some((request) => request.url.includes('/api/shares'))).toBe(true);
    expect(server.logged.length).toBeGreaterThan(0);

    const { database, blobs } = await serverStore(server);
    expect(database.some((row) => row.includes('"wrapped_grant"'))).toBe(true);
    expect(blobs.length).toBeGreaterThan(0);
    const names = ['report.txt', 'Projects', 'from-ray.bin', report.trim()].map((name) => Buffer.from(name));
    const secrets = [...secretKeys].map((hex) => Buffer.from(hex, 'hex'));
    // Every file's key is among the keys searched for, though upload workers, which the recording does not reach,
    // made them: each opens from its wrap in the database under a folder key the pages held.
    const files = [...(await fileKeys(server.db, secrets)).values()];
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const key of files) expect(secretKeys.has(key.toString('hex'))).toBe(true);
    const contentSample = added.subarray(1000, 1064);
    expectNoLeak([...names, ...secrets], reachedServer(server, captured, database), blobs);
    expectNoLeak([contentSample], [], blobs);
    expect(captured.filter((request) => request.body.includes(contentSample)).map((request) => request.url)).toEqual(
      [],
    );
  });
});
