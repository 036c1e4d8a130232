/**
 * The administration end to end, in the built web app on a fresh server left invite-only by default (REGISTRATION):
 * the first account is the admin and invites a second in the app; a visitor without an invite learns it before any
 * passkey is made; the admin sets the user's quota, which the user's upload meets with a message naming it; disables
 * the user (signed out at the next action, and told why; a link they made stops answering), enables them (the link
 * answers again), and deletes them after typing their id and a passkey check, leaving no row and no blob of theirs. The
 * accounts screen shows the scheduled backups, and a failed one as a warning. Each person has their own browser context and authenticator.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDueBackup } from '../../server/backup/scheduled-backup.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/http/request-log.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { signUpWithPasskey } from './sign-up.ts';

/** Moves the server's clock past the 5 minutes a passkey check (step-up) is good for. */
const STEP_UP_STALE_MS = 6 * 60 * 1000;

describe('administration in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let dir: string;
  let clockOffset = 0;
  /** The admin's page, signed in by the first test. */
  let adminPage: Page | undefined;

  /** A person at their own browser, with their own passkey provider (none for a visitor who makes no passkey). */
  async function person(withAuthenticator: boolean): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (withAuthenticator) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await addVirtualAuthenticator(cdp, true);
    }
    return page;
  }
  const file = (name: string, bytes: number) => {
    const path = join(dir, name);
    writeFileSync(path, randomBytes(bytes));
    return path;
  };
  const go = (page: Page, navigation: 'Main' | 'Administration', name: string) =>
    page.getByRole('navigation', { name: navigation }).getByRole('link', { name, exact: true }).click();
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(server.db, query);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-admin-e2e-'));
    server = await startAppServer('web app', {
      registrationDefault: 'invite-only',
      backup: loadConfig({ BACKUP_DIR: join(dir, 'backups'), BACKUP_SCHEDULE: '1h' }).backup!,
      now: () => new Date(Date.now() + clockOffset),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('invites, limits, disables, enables and deletes an account, leaving nothing of it', async () => {
    const admin = await person(true);
    await signUpWithPasskey(admin, server.origin);
    await go(admin, 'Main', 'Admin');
    await admin.getByRole('heading', { name: 'Administration' }).waitFor();
    await admin.getByText('Admins see sizes, counts and times, never names, content or keys').waitFor();
    await admin.getByText("An admin cannot reset a user's keys").waitFor();
    const notice = await admin.getByRole('region', { name: 'What admins see' }).textContent();
    expect(notice!.replace(/\s+/g, ' ')).toMatch(
      /audit log shows every account's security events.* with the address they came from and when.*\(AUDIT_RETENTION_DAYS\)/,
    );
    await admin.getByRole('heading', { name: 'This Coffer' }).waitFor();
    // The guard's answer is the counts the accounts screen shows: asked for once.
    expect(server.received.filter((request) => request.url.endsWith('/api/admin/instance'))).toHaveLength(1);

    await go(admin, 'Administration', 'Invites and sign-up');
    await admin.getByRole('button', { name: 'Create invite' }).click();
    const link = await admin.getByRole('textbox', { name: 'Invite link' }).inputValue();
    expect(link).toMatch(new RegExp(`^${server.origin}/signup#invite=[A-Za-z0-9_-]{43}$`));

    // Without an invite, the sign-up page says so and offers no passkey to make.
    const signUpOptions = () => server.received.filter((request) => request.url.endsWith('/sign-up/options')).length;
    const optionsBefore = signUpOptions();
    const visitor = await person(false);
    await visitor.goto(`${server.origin}/signup`);
    await visitor.getByText('Sign-up here is by invite only').waitFor();
    expect(await visitor.getByRole('button', { name: 'Create a passkey' }).count()).toBe(0);
    expect(signUpOptions()).toBe(optionsBefore);

    const user = await person(true);
    await user.goto(link);
    await user.getByText('You are signing up with an invite').waitFor();
    // The token never reached the server, and leaves the address bar once read; the sign-up below still uses it.
    const token = link.split('#invite=')[1]!;
    await expect.poll(() => user.url()).toBe(`${server.origin}/signup`);
    expect(server.received.filter((request) => request.url.includes(token) || request.headers.includes(token))).toEqual(
      [],
    );
    await user.getByRole('button', { name: 'Create a passkey' }).click();
    await user.getByLabel('I have saved my recovery code').check();
    await user.getByRole('button', { name: 'Continue' }).click();
    await user.getByTestId('unlocked').waitFor();
    expect(await user.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    const [invited] = await rows<{ id: string }>(sql`select id from users where role = 'user'`);
    const userId = invited!.id;

    await go(admin, 'Administration', 'Accounts');
    const userRow = admin.locator(`tr[data-account="${userId}"]`);
    await userRow.getByRole('button', { name: 'Set quota' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Quota').fill('1');
    await dialog.getByLabel('Unit').selectOption('MB');
    await dialog.getByRole('button', { name: 'Set quota' }).click();
    await admin.getByText(`Quota of ${userId} set.`).waitFor();
    await expect.poll(() => userRow.getByRole('cell').nth(1).textContent()).toBe('1.0 MB');

    await go(user, 'Main', 'Files');
    await user.getByLabel('Files to upload').setInputFiles(file('fits.bin', 200_000));
    await user.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await user.getByRole('button', { name: 'Clear finished' }).click();
    // A link the user makes, which a visitor without an account opens: it stops answering while the account is
    // disabled, and answers again once it is enabled.
    await user.getByLabel('Actions for fits.bin', { exact: true }).click();
    await user.getByRole('button', { name: 'Get link', exact: true }).click();
    const linkDialog = user.getByRole('dialog');
    await linkDialog.getByRole('button', { name: 'Create link' }).click();
    const linkUrl = await linkDialog.getByTestId('new-link-url').inputValue();
    await linkDialog.getByRole('button', { name: 'Close' }).last().click();
    const openLink = async () => {
      await visitor.goto('about:blank');
      await visitor.goto(linkUrl);
    };
    await openLink();
    await visitor.getByRole('button', { name: 'Download' }).waitFor();
    await user.getByLabel('Files to upload').setInputFiles(file('too-big.bin', 2_000_000));
    await user.getByText(/Not enough space: this file is 2\.0 MB, and .* of your 1\.0 MB quota is in use/).waitFor();

    await userRow.getByRole('button', { name: 'Disable' }).click();
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => userRow.getByRole('cell').nth(4).textContent()).toBe('disabled');
    await go(user, 'Main', 'Trash');
    await user.waitForURL('**/signin');
    await user.getByRole('status').filter({ hasText: 'this account is disabled by an admin' }).waitFor();
    await user.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await user.getByRole('alert').filter({ hasText: 'this account is disabled by an admin' }).waitFor();
    await openLink();
    await visitor.getByRole('heading', { name: 'This link is unavailable' }).waitFor();
    expect(await visitor.getByRole('button', { name: 'Download' }).count()).toBe(0);

    await userRow.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => userRow.getByRole('cell').nth(4).textContent()).toBe('active');
    await user.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await user.getByTestId('unlocked').waitFor();
    await openLink();
    await visitor.getByRole('button', { name: 'Download' }).waitFor();

    const [stored] = await rows<{ count: number }>(
      sql`select count(*)::int as count from revisions where owner_id = ${userId}`,
    );
    expect(stored!.count).toBe(1);
    const revisionIds = (await rows<{ id: string }>(sql`select id from revisions where owner_id = ${userId}`)).map(
      (row) => row.id,
    );
    const blobsOfUser = () =>
      readdirSync(server.blobRoot, { recursive: true, encoding: 'utf8' }).filter((path) =>
        revisionIds.some((id) => path.includes(id)),
      );
    expect(blobsOfUser().length).toBeGreaterThan(0);

    // The admin's passkey check from signing up is stale by now on the server's clock: deleting asks for a new one.
    clockOffset = STEP_UP_STALE_MS;
    await userRow.getByRole('button', { name: 'Delete' }).click();
    await expect(dialog.getByRole('button', { name: 'Delete for good' }).isDisabled()).resolves.toBe(true);
    await dialog.getByLabel("Type the account's id to confirm").fill(userId);
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    await admin.getByText(`Account ${userId} deleted`).waitFor();
    // The notice comes with the answer; the row goes once the list is read again.
    await userRow.waitFor({ state: 'detached' });
    const stepUps = await rows<{ type: string }>(
      sql`select type from audit_events where user_id = (select id from users where role = 'admin') order by id`,
    );
    expect(stepUps.map((row) => row.type).slice(-2)).toEqual(['step-up', 'admin-user-deleted']);

    // No row of theirs in any table with an account column, and no blob. The admin's record of the deletion stays in
    // the audit log (checked above and below): under the admin's account, naming the deleted id in its details.
    const accountColumns = await rows<{ table_name: string; column_name: string }>(sql`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type = 'uuid'
        and (column_name ~ '(user|owner|recipient)_id$' or column_name ~ '_by$' or (table_name = 'users' and column_name = 'id'))`);
    expect(accountColumns.length).toBeGreaterThan(8);
    const left = [];
    for (const { table_name: table, column_name: column } of accountColumns) {
      const [found] = await rows<{ count: number }>(
        sql`select count(*)::int as count from ${sql.identifier(table)} where ${sql.identifier(column)} = ${userId}`,
      );
      if (found!.count > 0) left.push(`${table}.${column}`);
    }
    const [lockouts] = await rows<{ count: number }>(
      sql`select count(*)::int as count from auth_lockouts where bucket = ${`account:${userId}`}`,
    );
    expect({ left, lockouts: lockouts!.count, blobs: blobsOfUser() }).toEqual({ left: [], lockouts: 0, blobs: [] });

    await go(admin, 'Administration', 'Audit log');
    await admin.getByLabel('Event type').selectOption('admin-user-deleted');
    await admin.getByRole('button', { name: 'Show events' }).click();
    await admin
      .getByRole('row')
      .filter({ hasText: 'Admin deleted an account admin-user-deleted' })
      .filter({ hasText: userId })
      .waitFor();
    adminPage = admin;
  }, 120_000);

  it('shows the scheduled backups, and the last one failing as a warning above them', async () => {
    const admin = adminPage!;
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    const run = (backupDir: string, now: Date) =>
      runDueBackup({
        db: server.db,
        databaseKind: 'pglite',
        blobs: server.blobs,
        backup: loadConfig({ BACKUP_DIR: backupDir, BACKUP_SCHEDULE: '1h' }).backup!,
        now: () => now,
        logger: createLogger(() => undefined),
      });
    const done = await run(join(dir, 'backups'), hourAgo);
    writeFileSync(join(dir, 'a-file'), 'not a directory');
    expect((await run(join(dir, 'a-file', 'backups'), new Date()))?.status).toBe('failed');

    await go(admin, 'Administration', 'Accounts');
    const warning = admin.getByRole('alert').filter({ hasText: 'The last backup failed' });
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/ENOTDIR|EEXIST/);
    const backups = admin.getByRole('region', { name: 'Backups' });
    const snapshot = done?.status === 'succeeded' ? done.snapshot : 'none';
    await backups.getByText(snapshot).first().waitFor();
    expect((await backups.textContent())!.replace(/\s+/g, ' ')).toMatch(
      /Kept snapshots 1 .*Next backup|Next backup.*Kept snapshots 1/,
    );
  }, 60_000);
});
