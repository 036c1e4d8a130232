/**
 * The key rotation that follows removing an editor, against a server that lists again a child the owner trashed
 * (docs/FORMAT.md 5.3; threat model row 10), in the built web app: the folder's latest manifest is the removed
 * editor's, which the owner's device checks with the key it pinned for them, so its new manifest names only the
 * children the editor's named, and not the trashed file the tamper layer (tamper.ts) slips into the listing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse, NodeRecord } from '../../shared/api/responses.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { chooseHandle, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { acceptAndOpenFolder, shareFolderAsEditor } from './folder-share.ts';
import { openFiles, rowAction, upload } from './link-owner.ts';
import { tamperJson } from './tamper.ts';

describe('a rotation after a revocation, against a server that lists a trashed child again, in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let dir: string;
  let alice: Page;
  let bob: Page;
  let folderId = '';
  let trashedId = '';

  const row = (page: Page, name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const get = async <T>(path: string) => (await (await alice.request.get(`${server.origin}${path}`)).json()) as T;
  const userIdOf = async (page: Page) =>
    ((await (await page.request.get(`${server.origin}/api/account`)).json()) as { userId: string }).userId;
  const file = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${name}\n`);
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-hostile-rotation-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    alice = await signUpPerson(browser, server.origin);
    bob = await signUpPerson(browser, server.origin);
    await chooseHandle(alice, 'alice');
    await chooseHandle(bob, 'bob');

    await openFiles(alice);
    await alice.getByRole('button', { name: 'New folder' }).click();
    await alice.getByLabel('Name', { exact: true }).fill('Projects');
    await alice.getByRole('button', { name: 'Create', exact: true }).click();
    await alice.getByRole('button', { name: 'Projects', exact: true }).click();
    await alice.getByRole('heading', { name: 'Projects' }).waitFor();
    folderId = alice.url().split('/').at(-1)!;
    await upload(alice, [file('notes.txt'), file('old.txt')]);
    const { children } = await get<ChildrenResponse>(`/api/nodes/${folderId}/children`);
    await rowAction(alice, 'old.txt', 'Move to trash');
    await row(alice, 'old.txt').waitFor({ state: 'detached' });
    const left = (await get<ChildrenResponse>(`/api/nodes/${folderId}/children`)).children.map((child) => child.id);
    trashedId = children.find((child) => !left.includes(child.id))!.id;

    await openFiles(alice);
    await shareFolderAsEditor(alice, 'Projects', 'bob');
    await acceptAndOpenFolder(bob, 'alice', 'Projects');
    await upload(bob, [file('from-bob.txt')]);
    await row(bob, 'from-bob.txt').getByText('added by you').waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("names in the owner's new manifest only what the removed editor's named, not the trashed file", async () => {
    const bobsManifest = (await get<ChildrenResponse>(`/api/nodes/${folderId}/children`)).manifest!;
    expect(bobsManifest.writerId).toBe(await userIdOf(bob));
    expect(bobsManifest.children.map(({ id }) => id)).not.toContain(trashedId);

    // The trashed file as it is after the rotation, under the folder's new key, listed live again.
    const relisted = await tamperJson<ChildrenResponse>(
      alice.context(),
      `**/api/nodes/${folderId}/children`,
      'trashed file listed again',
      async (listed) => {
        const trashed = await get<NodeRecord>(`/api/nodes/${trashedId}`);
        return { ...listed, children: [...listed.children, { ...trashed, trashedAt: null }] };
      },
    );
    try {
      await openFiles(alice);
      await rowAction(alice, 'Projects', 'Share');
      const dialog = alice.getByRole('dialog', { name: 'Share “Projects”' });
      await dialog.getByRole('button', { name: 'Remove @bob' }).click();
      await dialog
        .getByRole('status')
        .filter({ hasText: "@bob no longer has access, and this folder's keys were changed" })
        .waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
    } finally {
      await relisted.restore();
    }
    expect(relisted.rewritten).toBeGreaterThan(0);

    const { children, manifest } = await get<ChildrenResponse>(`/api/nodes/${folderId}/children`);
    expect(manifest!.writerId).toBe(await userIdOf(alice));
    expect(manifest!.version).toBeGreaterThan(bobsManifest.version);
    expect(manifest!.children.map(({ id }) => id).sort()).toEqual(children.map(({ id }) => id).sort());
    expect(manifest!.children.map(({ id }) => id)).not.toContain(trashedId);
  });
});
