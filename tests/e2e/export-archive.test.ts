/**
 * The encrypted export archive (docs/FORMAT.md section 7) end to end, in Chromium with a PRF passkey: nested folders
 * and files made through the app, "Export encrypted archive" in Settings, then, with the server stopped, the archive
 * opened with the recovery code alone by `coffer export open` and by tools/coffer_decrypt.py, every file equal to its
 * original; a changed byte refused by both in one line. And an export while the server swaps two records' metadata:
 * both are counted as refused and left out, and the archive still opens to the rest.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type Browser, type Download, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse } from '../../shared/api/responses.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { coffer, python, REFERENCE_DECRYPTOR } from '../run-command.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { createAccountToRecoveryKit } from './sign-up.ts';

function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

/** Every file under `root`, by its path from there, with the SHA-256 of its bytes; and every folder. */
function treeOf(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        found[`${relative(root, full)}/`] = 'folder';
        walk(full);
      } else {
        found[relative(root, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
      }
    }
  };
  walk(root);
  return found;
}

describe('the encrypted export archive, made in Chromium and opened without a server', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let recoveryCode: string;
  let archive: string;
  let stopped = false;
  /** What the account holds, as it was uploaded: the tree the archive must open to. */
  let originals: string;

  const exportArchive = async (): Promise<string> => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export encrypted archive' }).click(),
    ]);
    const path = join(dir, `export-${Date.now()}.zip`);
    await (download as Download).saveAs(path);
    await page.getByText(/^Exported \d+ file\(s\) in \d+ folder\(s\)/).waitFor();
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-export-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
    recoveryCode = await createAccountToRecoveryKit(page, server.origin);
    await page.getByLabel('I have saved my recovery code').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('unlocked').waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (!stopped) await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports nested folders and files made in the app as one archive', async () => {
    originals = join(dir, 'originals');
    const trip = join(originals, 'Trip — été 2026');
    mkdirSync(join(trip, 'Day 1', 'Night'), { recursive: true });
    writeFileSync(join(trip, 'readme.txt'), 'Where we went.\n');
    writeFileSync(join(trip, 'Day 1', 'photo.bin'), randomBytes(300_000));
    writeFileSync(join(trip, 'Day 1', 'Night', 'notes.txt'), 'Stars.\n');
    writeFileSync(join(trip, 'Day 1', 'Night', 'empty.txt'), '');
    // Over one chunk of the app's stream (512 KiB), so the archive carries a stream of several chunks.
    writeFileSync(join(originals, 'big.bin'), randomBytes(1_300_000));
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { name: 'My files' }).waitFor();
    await page.getByLabel('Folder to upload').setInputFiles(trip);
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await page.getByLabel('Files to upload').setInputFiles(join(originals, 'big.bin'));
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Empty folder');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    mkdirSync(join(originals, 'Empty folder'));

    archive = await exportArchive();
    expect(await page.getByTestId('export-status').textContent()).toBe(
      'Exported 5 file(s) in 4 folder(s) to "Coffer export ' + new Date().toISOString().slice(0, 10) + '.zip".',
    );
    expect(await page.getByText('failed the integrity check').count()).toBe(0);
  }, 120_000);

  it('opens with the recovery code alone, with the server stopped, in the CLI and in Python', async () => {
    await server.close();
    stopped = true;
    const cli = await coffer(['export', 'open', archive, '--recovery-code', recoveryCode, join(dir, 'cli')]);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout.toString()).toMatch(/5 file\(s\) in 4 folder\(s\)/);
    const py = await python(REFERENCE_DECRYPTOR, [
      'export-open',
      archive,
      '--recovery-code',
      recoveryCode,
      join(dir, 'py'),
    ]);
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const expected = treeOf(originals);
    expect(Object.keys(expected)).toHaveLength(9);
    expect(treeOf(join(dir, 'cli'))).toEqual(expected);
    expect(treeOf(join(dir, 'py'))).toEqual(expected);
  }, 120_000);

  it('is refused with one line by both when one byte of it is changed, or with another code', async () => {
    const bytes = readFileSync(archive);
    const altered = join(dir, 'altered.zip');
    // A byte inside the large file's stream, well away from any zip header.
    const at = bytes.indexOf(Buffer.from('streams/')) + 200_000;
    bytes[at]! ^= 0x01;
    writeFileSync(altered, bytes);
    const other = (recoveryCode[0] === '1' ? '2' : '1') + recoveryCode.slice(1);
    const runs = [
      [await coffer(['export', 'open', altered, '--recovery-code', recoveryCode, join(dir, 'a')]), 'coffer: '],
      [
        await python(REFERENCE_DECRYPTOR, ['export-open', altered, '--recovery-code', recoveryCode, join(dir, 'b')]),
        'coffer_decrypt: ',
      ],
      [await coffer(['export', 'open', archive, '--recovery-code', other, join(dir, 'c')]), 'coffer: EXPORT_LOCKED: '],
      [
        await python(REFERENCE_DECRYPTOR, ['export-open', archive, '--recovery-code', other, join(dir, 'd')]),
        'coffer_decrypt: EXPORT_LOCKED: ',
      ],
    ] as const;
    for (const [result, prefix] of runs) {
      expect(result.status).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.startsWith(prefix), result.stderr).toBe(true);
    }
    for (const out of ['a', 'b', 'c', 'd']) expect(existsSync(join(dir, out))).toBe(false);
  }, 120_000);
});

describe('an export while the server swaps two records', () => {
  let server: AppServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-export-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await addVirtualAuthenticator(cdp, true);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts both as refused, leaves them out, and the archive opens to the rest', async () => {
    const recoveryCode = await createAccountToRecoveryKit(page, server.origin);
    await page.getByLabel('I have saved my recovery code').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByTestId('unlocked').waitFor();
    const names = ['one.txt', 'two.txt', 'three.txt'];
    for (const name of names) writeFileSync(join(dir, name), `${name}\n`);
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByLabel('Files to upload').setInputFiles(names.map((name) => join(dir, name)));
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();

    // A hostile server gives two files each other's details: neither authenticates in its place.
    await page.context().route('**/api/nodes/*/children', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as ChildrenResponse;
      const [a, b] = body.children;
      if (a && b) [a.encryptedMetadata, b.encryptedMetadata] = [b.encryptedMetadata, a.encryptedMetadata];
      await route.fulfill({ response, json: body });
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings', exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export encrypted archive' }).click(),
    ]);
    const archive = join(dir, 'export.zip');
    await (download as Download).saveAs(archive);
    await page.getByText('Exported 1 file(s) in 0 folder(s)').waitFor();
    await page.getByText('2 items in your folders failed the integrity check and are not in the archive').waitFor();

    const out = join(dir, 'out');
    const opened = await coffer(['export', 'open', archive, '--recovery-code', recoveryCode, out]);
    expect(opened.stderr).toBe('');
    expect(readdirSync(out)).toHaveLength(1);
    const [only] = readdirSync(out);
    expect(readFileSync(join(out, only!), 'utf8')).toBe(`${only}\n`);
  }, 180_000);
});
