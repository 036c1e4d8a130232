/**
 * Threat model rows 4 and 10 against the built web app in Chromium: a server that wipes or rolls back the account's
 * sealed lists (docs/FORMAT.md section 4). Alice pins Carol, then Bob, and shares a file with Bob; Bob accepts it, then
 * removes it. The server then serves Alice no contact list, or the one from before Bob was pinned, and Bob his list of
 * accepted shares from before he removed the share, with the share listed as accepted again. Each device remembers
 * the highest revision it opened of each list, so each copy is refused with a plain message: Alice's share dialog
 * never offers to pin Bob anew with whatever keys the server gives, the removed share is not opened, nothing is
 * written over the newer list, and the rest of the app goes on working.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountDocumentResponse, IncomingShare, IncomingSharesResponse } from '../../shared/api/responses.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { chooseHandle, goTo, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { hostileServer } from './hostile-server/attacks.ts';
import { unlockWithPasskey } from './sign-up.ts';
import { tamperJson } from './tamper.ts';

describe('a server that rolls back the account’s sealed lists, in Chromium', () => {
  const hostile = hostileServer(import.meta.url);
  let server: AppServer;
  let browser: Browser;
  let dir: string;
  let alice: Page;
  let bob: Page;
  /** Alice's contact list with Carol alone, before she pinned Bob. */
  let beforeBob: AccountDocumentResponse;
  /** Bob's list of accepted shares, and the share as the server listed it, before he removed it. */
  let beforeRemove: AccountDocumentResponse;
  let removed: IncomingShare;

  const document = async (page: Page, kind: string) =>
    (await (
      await page.request.get(`${server.origin}/api/account/documents/${kind}`)
    ).json()) as AccountDocumentResponse;
  const row = (page: Page, name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const upload = async (page: Page, name: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${name}\n`);
    await goTo(page, 'Files');
    await page.getByLabel('Files to upload').setInputFiles(path);
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
  };
  const openShareDialog = async (handle: string) => {
    await goTo(alice, 'Files');
    await alice.getByLabel('Actions for report.txt', { exact: true }).click();
    await row(alice, 'report.txt').getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = alice.getByRole('dialog', { name: 'Share “report.txt”' });
    await dialog.getByLabel('Their handle').fill(handle);
    await dialog.getByRole('button', { name: 'Find' }).click();
    return dialog;
  };
  /** The page loaded afresh and unlocked, so that the lists are read from the server again. */
  const reopen = async (page: Page) => {
    await page.reload();
    await unlockWithPasskey(page);
  };
  /** `name`, one of `page`'s own files, still opens. */
  const fileOpens = (page: Page, name: string) => async () => {
    await goTo(page, 'Files');
    await page.getByRole('button', { name, exact: true }).click();
    expect(await page.getByTestId('preview-text').textContent()).toBe(`${name}\n`);
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  };
  /** Alice's contact list served as `served`, every time her app asks for it. */
  const contactsServedAs = (what: string, served: () => AccountDocumentResponse) => () =>
    tamperJson<AccountDocumentResponse>(alice.context(), '**/api/account/documents/contacts', what, served);
  /** Alice, at a fresh load, looks Bob up to share: the dialog says what it refused, and offers nothing to click. */
  const aliceSharesWithBob = async () => {
    await reopen(alice);
    const dialog = await openShareDialog('bob');
    const alert = dialog.getByRole('alert').filter({ hasText: 'The server showed an older copy of your contacts' });
    await alert.waitFor();
    expect(await dialog.getByRole('button', { name: 'Share anyway (unverified)' }).count()).toBe(0);
    expect(await dialog.getByRole('button', { name: 'I compared them: mark verified' }).count()).toBe(0);
    expect(await dialog.getByRole('button', { name: 'Share', exact: true }).count()).toBe(0);
    const text = (await alert.textContent())!;
    await dialog.getByRole('button', { name: 'Close' }).click();
    return text;
  };
  const normalise = (seen: string) => seen.replace(/revision \d+/g, 'revision n');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-sealed-list-rollback-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    alice = await signUpPerson(browser, server.origin);
    bob = await signUpPerson(browser, server.origin);
    const carol = await signUpPerson(browser, server.origin);
    await chooseHandle(alice, 'alice');
    await chooseHandle(bob, 'bob');
    await chooseHandle(carol, 'carol');
    await carol.context().close();
    await upload(alice, 'report.txt');
    await upload(bob, 'note.txt');

    // Alice pins Carol, then Bob after comparing his words, and shares the report with him.
    let dialog = await openShareDialog('carol');
    await dialog.getByRole('button', { name: 'Share anyway (unverified)' }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    beforeBob = await document(alice, 'contacts');
    dialog = await openShareDialog('bob');
    await dialog.getByRole('button', { name: 'I compared them: mark verified' }).click();
    await dialog.getByText('(verified contact)').waitFor();
    await dialog.getByLabel('View and download (viewer)').check();
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText('@bob · viewer · not accepted yet').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Bob accepts the share, then removes it from his list.
    await goTo(bob, 'Shared with me');
    await bob.getByRole('button', { name: 'Accept the share from @alice' }).click();
    const shared = bob.getByRole('list', { name: 'Shared with you' });
    await shared.getByRole('button', { name: 'report.txt', exact: true }).waitFor();
    beforeRemove = await document(bob, 'accepted-shares');
    const incoming = await bob.request.get(`${server.origin}/api/shares/incoming`);
    removed = ((await incoming.json()) as IncomingSharesResponse).shares[0]!;
    await bob.getByRole('button', { name: 'Remove report.txt from your list' }).click();
    await bob.getByText('Nothing yet.').waitFor();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wiped contact list: Bob is not offered as a new person to share with', async () => {
    const kept = await document(alice, 'contacts');
    const seen = await hostile.attack({
      row: 4,
      attack: 'Alice’s contact list wiped (served as never written), then she shares with Bob, whom she pinned',
      mount: contactsServedAs('contact list wiped', () => ({ ...kept, version: 0, sealed: null, updatedAt: null })),
      seen: aliceSharesWithBob,
      stillOpens: fileOpens(alice, 'report.txt'),
      normalise,
    });
    expect(seen).toContain('none at all');
    expect(await document(alice, 'contacts')).toEqual(kept);
  });

  it('refuses an older contact list, from before Bob’s keys were pinned', async () => {
    const kept = await document(alice, 'contacts');
    const seen = await hostile.attack({
      row: 10,
      attack: 'Alice’s contact list replayed from before she pinned Bob, then she shares with Bob',
      mount: contactsServedAs('contact list replayed', () => beforeBob),
      seen: aliceSharesWithBob,
      stillOpens: fileOpens(alice, 'report.txt'),
      normalise,
    });
    expect(seen).toContain('(revision n; this device has seen revision n)');
    expect(await document(alice, 'contacts')).toEqual(kept);

    // Served again as it is, the list is Alice's, and Bob her verified contact.
    await reopen(alice);
    const dialog = await openShareDialog('bob');
    await dialog.getByText('(verified contact)').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('refuses an older list of accepted shares that would bring back the share Bob removed', async () => {
    const seen = await hostile.attack({
      row: 10,
      attack: 'Bob’s list of accepted shares replayed from before he removed a share, the share listed accepted again',
      mount: async () => [
        await tamperJson<AccountDocumentResponse>(
          bob.context(),
          '**/api/account/documents/accepted-shares',
          'accepted shares replayed',
          () => beforeRemove,
        ),
        await tamperJson<IncomingSharesResponse>(
          bob.context(),
          '**/api/shares/incoming',
          'removed share listed again',
          (listed) => ({ ...listed, shares: [...listed.shares, removed] }),
        ),
      ],
      seen: async () => {
        await reopen(bob);
        await goTo(bob, 'Shared with me');
        const alert = bob
          .getByRole('alert')
          .filter({ hasText: 'The server showed an older copy of your list of accepted shares' });
        await alert.waitFor();
        expect(await bob.getByRole('button', { name: 'report.txt', exact: true }).count()).toBe(0);
        return (await alert.textContent())!;
      },
      stillOpens: fileOpens(bob, 'note.txt'),
      normalise,
    });
    expect(seen).toContain('No share made to you is opened');
  });

  it('publishes what the user saw in docs/SECURITY.md', async () => {
    await hostile.checkPublished();
  });
});
