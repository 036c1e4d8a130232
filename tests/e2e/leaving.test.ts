/**
 * Leaving, in the built web app (issue 26): a person with a file deletes their account from Settings, typing their
 * handle and touching their passkey, and lands on a goodbye page, signed out. Afterwards nothing in any table of the
 * server's database names them, no blob of theirs is left in the blob directory, and the other person's file is there
 * as it was.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';
import { chooseHandle, goTo, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';

describe('deleting my account in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-leaving-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const uploadOne = async (page: Page, name: string) => {
    const path = join(dir, name);
    writeFileSync(path, randomBytes(300_000));
    await goTo(page, 'Files');
    await page.getByLabel('Files to upload').setInputFiles(path);
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
  };
  const accountId = async (page: Page) =>
    page.evaluate(async () => ((await (await fetch('/api/account')).json()) as { userId: string }).userId);
  /** Every row of every table, as text. */
  const everyRow = async () => {
    const tables = await queryRows<{ table_name: string }>(
      server.db,
      sql`select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    const rows: string[] = [];
    for (const { table_name: table } of tables) {
      const found = await queryRows<{ row: string }>(
        server.db,
        sql`select ${sql.identifier(table)}::text as row from ${sql.identifier(table)}`,
      );
      rows.push(...found.map(({ row }) => `${table}: ${row}`));
    }
    return rows;
  };
  const blobFiles = () =>
    readdirSync(server.blobRoot, { recursive: true, encoding: 'utf8' }).filter((path) =>
      statSync(join(server.blobRoot, path)).isFile(),
    );
  const revisionsOf = async (userId: string) =>
    (await queryRows<{ id: string }>(server.db, sql`select id from revisions where owner_id = ${userId}`)).map(
      (row) => row.id,
    );

  it('deletes the account from Settings, with its handle typed and a passkey touch, and leaves nothing of it', async () => {
    // The instance's first account is its admin; the one leaving is the second.
    const staying = await signUpPerson(browser, server.origin);
    await uploadOne(staying, 'kept.bin');
    const leaving = await signUpPerson(browser, server.origin);
    await chooseHandle(leaving, 'leaving-e2e');
    await uploadOne(leaving, 'goes.bin');
    const [leaverId, stayerId] = [await accountId(leaving), await accountId(staying)];
    const leaverRevisions = await revisionsOf(leaverId);
    const stayerRevisions = await revisionsOf(stayerId);
    expect(leaverRevisions.length).toBe(1);
    const blobsOf = (ids: string[]) => blobFiles().filter((path) => ids.some((id) => path.includes(id)));
    expect(blobsOf(leaverRevisions).length).toBeGreaterThan(0);
    const stayerBlobs = blobsOf(stayerRevisions);
    expect(stayerBlobs.length).toBeGreaterThan(0);
    expect((await everyRow()).some((row) => row.includes(leaverId))).toBe(true);

    await goTo(leaving, 'Settings');
    const section = leaving.getByTestId('delete-account');
    await section.getByText('copies of your files that people downloaded', { exact: false }).waitFor();
    const button = section.getByRole('button', { name: 'Delete my account' });
    await section.getByLabel('Type your handle, @leaving-e2e, to confirm').fill('leaving');
    expect(await button.isDisabled()).toBe(true);
    await section.getByLabel('Type your handle, @leaving-e2e, to confirm').fill('@Leaving-E2E');
    await button.click();
    await leaving.getByRole('heading', { name: 'Your account is deleted' }).waitFor();
    await leaving.getByText('every browser that was signed in is signed out').waitFor();
    expect(await leaving.evaluate(async () => (await fetch('/api/usage')).status)).toBe(401);

    const rows = await everyRow();
    expect(rows.filter((row) => row.toLowerCase().includes(leaverId) || row.includes('leaving-e2e'))).toEqual([]);
    expect(blobsOf(leaverRevisions)).toEqual([]);
    expect(blobsOf(stayerRevisions)).toEqual(stayerBlobs);
    expect(await revisionsOf(stayerId)).toEqual(stayerRevisions);
    // The one who stays still has their file.
    await goTo(staying, 'Files');
    await staying.getByRole('button', { name: 'kept.bin', exact: true }).waitFor();
  }, 180_000);
});
