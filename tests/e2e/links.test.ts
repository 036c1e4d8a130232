/**
 * Share links end to end (issue 24), in the built web app: the owner, signed in with a passkey in a context of their
 * own, makes links in "Get link"; a visitor in another context, with no account and no authenticator, opens them. A
 * file link downloads the same bytes, streamed by the service worker even on a first visit (it claims the page as it
 * activates), and decrypted in the page where service workers are refused; a folder link browses and zips the same
 * tree, or a selection of it, a file refused in a subfolder counted, reported and left out; a password link opens with
 * the right password only; a wrap the server serves for another item is refused; expiry, the download limit and
 * revocation each end access with their own page. Every request of both contexts (and every request the server
 * received, the service worker's included) is recorded: the link's secret and password never leave the browser, and
 * the access token travels only in the Authorization header of a link's own requests, never in a URL or a body; the
 * database keeps only the token's hash.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Download,
  type Page,
} from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse, LinkAccessResponse, OpenLinkResponse } from '../../shared/api/responses.ts';
import {
  ARGON2ID_BOUNDS,
  DEFAULT_ARGON2ID,
  deriveLinkKeys,
  encodeBase64url,
  openLinkWrap,
  wrapForLink,
} from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';
import { PYTHON } from '../run-command.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { tamperJson } from './tamper.ts';
import { leakForms, recordRequests, type CapturedRequest } from './leak-scan.ts';
import {
  makeLink as makeOwnersLink,
  openedByServer,
  signUpOwner,
  upload,
  type LinkOptions,
  type MadeLink,
} from './link-owner.ts';

describe('share links in Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  let owner: Page;
  let dir: string;
  const captured: CapturedRequest[] = [];
  const made: MadeLink[] = [];
  const report = Buffer.from(randomBytes(300_000));
  const album = {
    'cover.txt': 'the cover of the album',
    'Day one/beach.txt': 'sand and sea',
    'credits.txt': 'who took the photos',
  };

  /** A browser context whose every request (page and dedicated workers) is recorded with its headers and body. */
  async function recordedContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const context = await browser.newContext(options);
    recordRequests(context, captured);
    return context;
  }

  const downloaded = async (page: Page, start: () => Promise<unknown>): Promise<Buffer> => {
    const [download] = await Promise.all([page.waitForEvent('download'), start()]);
    return readFileSync((await (download as Download).path())!);
  };

  /** The files of a zip, each as `path=content`, sorted, once Python's zipfile has checked every CRC. */
  const zipListing = (zip: Buffer, name: string): string[] => {
    writeFileSync(join(dir, name), zip);
    const listing = execFileSync(PYTHON, [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; ' +
        'print("\\n".join(f"{i.filename}={z.read(i).decode()}" for i in z.infolist() if not i.is_dir()))',
      join(dir, name),
    ]).toString();
    return listing.trim().split('\n').sort();
  };

  const makeLink = async (name: string, options: LinkOptions = {}): Promise<MadeLink> => {
    const link = await makeOwnersLink(owner, name, options);
    made.push(link);
    return link;
  };

  /** A visitor: a fresh context with no account and no authenticator. */
  async function visitor(): Promise<Page> {
    return (await recordedContext()).newPage();
  }

  /**
   * Loads the link afresh: after the page dropped the fragment, going to the same address with it again would only
   * move to the fragment, and the page would not start over.
   */
  const visit = async (page: Page, url: string) => {
    await page.goto('about:blank');
    await page.goto(url);
  };

  const refusal = async (page: Page, title: string) => {
    await page.getByRole('heading', { name: title }).waitFor();
    expect(await page.getByRole('button', { name: 'Download' }).count()).toBe(0);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-links-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    owner = await signUpOwner(await recordedContext(), server.origin);
    writeFileSync(join(dir, 'report.bin'), report);
    const folder = join(dir, 'Shared album');
    for (const [path, content] of Object.entries(album)) {
      mkdirSync(join(folder, path, '..'), { recursive: true });
      writeFileSync(join(folder, path), content);
    }
    await upload(owner, [join(dir, 'report.bin')], folder);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a file link with no account, drops its key from the address, and downloads the same bytes', async () => {
    const link = await makeLink('report.bin', { label: 'for the accountant' });
    const page = await visitor();
    await page.goto(link.url);
    await page.getByRole('heading', { name: 'report.bin' }).waitFor();
    await page.getByText("The link's key was read and removed from the address bar").waitFor();
    expect(page.url()).toBe(`${server.origin}/s/${link.id}`);
    await page.getByText('293 KB').or(page.getByText('300 KB')).first().waitFor();
    // A first visit: the page was loaded with no service worker, whose install it started.
    expect(
      await page.evaluate(() =>
        performance.getEntriesByType('navigation').map((entry) => (entry as PerformanceNavigationTiming).workerStart),
      ),
    ).toEqual([0]);
    // The worker claims the page as it activates, and the download waits for it: it streams through the worker,
    // decrypted as the browser writes it to disk, rather than into a Blob held by the page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.url()).toMatch(new RegExp(`^${server.origin}/_download/[0-9a-f-]{36}$`));
    expect(readFileSync((await download.path())!).equals(report)).toBe(true);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    await page.context().close();
  });

  it('downloads the same bytes decrypted in the page where service workers are refused', async () => {
    const link = await makeLink('report.bin', { label: 'for a private window' });
    const page = await (await recordedContext({ serviceWorkers: 'block' })).newPage();
    await page.goto(link.url);
    await page.getByRole('heading', { name: 'report.bin' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.url()).toMatch(new RegExp(`^blob:${server.origin}/`));
    expect(readFileSync((await download.path())!).equals(report)).toBe(true);
    await page.context().close();
  });

  it('browses a folder link with breadcrumbs and zips all of it, or a selection, identical', async () => {
    const link = await makeLink('Shared album');
    const page = await visitor();
    await page.goto(link.url);
    await page.getByRole('heading', { name: 'Shared album' }).waitFor();
    await page.getByRole('button', { name: 'Day one/' }).click();
    await page.getByRole('heading', { name: 'Day one' }).waitFor();
    await page.getByText('beach.txt').waitFor();
    await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'Shared album' }).click();
    await page.getByRole('heading', { name: 'Shared album' }).waitFor();
    const zip = await downloaded(page, () => page.getByRole('button', { name: 'Download all as zip' }).click());
    expect(zipListing(zip, 'album.zip')).toEqual(
      Object.entries(album)
        .map(([path, content]) => `Shared album/${path}=${content}`)
        .sort(),
    );
    // Two of the folder's three items, one of them a folder: the zip holds them, under the folder shown, and no more.
    const checked = () => page.getByRole('list', { name: 'Folder contents' }).getByRole('checkbox', { checked: true });
    await page.getByRole('checkbox', { name: 'Select all' }).check();
    expect(await checked().count()).toBe(3);
    await page.getByRole('checkbox', { name: 'Select all' }).uncheck();
    expect(await checked().count()).toBe(0);
    await page.getByRole('checkbox', { name: 'Select cover.txt' }).check();
    await page.getByRole('checkbox', { name: 'Select Day one' }).check();
    const picked = await downloaded(page, () => page.getByRole('button', { name: 'Download selected as zip' }).click());
    expect(zipListing(picked, 'picked.zip')).toEqual([
      `Day one/beach.txt=${album['Day one/beach.txt']}`,
      `cover.txt=${album['cover.txt']}`,
    ]);
    // A server that lists the subfolder's file as another folder's: the file is refused, counted and reported, and the
    // same selection's zip holds the rest, without it.
    const top = (await openedByServer(server.origin, link)).node.id;
    const tampering = await tamperJson<ChildrenResponse>(
      page.context(),
      `**/api/s/${link.id}/nodes/*/children`,
      'a child listed under the wrong folder',
      (body) => ({
        ...body,
        children: body.children.map((child) => (child.parentId === top ? child : { ...child, parentId: top })),
      }),
    );
    const short = await downloaded(page, () => page.getByRole('button', { name: 'Download selected as zip' }).click());
    expect(tampering.rewritten).toBe(1);
    await page
      .getByText('One item in the folders downloaded failed the integrity check and is not in the download')
      .waitFor();
    expect(zipListing(short, 'short.zip')).toEqual([`cover.txt=${album['cover.txt']}`]);
    await tampering.restore();
    await page.context().close();
  });

  it('refuses a password link without its password and with a wrong one, and opens it with the right one', async () => {
    const link = await makeLink('report.bin', { password: 'open sesame' });
    const page = await visitor();
    await page.goto(link.url);
    await page.getByRole('heading', { name: 'This link has a password' }).waitFor();
    // Without the password nothing was asked of the link but whether it has one.
    const asked = server.received.filter((request) => request.url.includes(`/api/s/${link.id}`));
    expect(asked.map((request) => new URL(request.url).pathname)).toEqual([`/api/s/${link.id}/access`]);
    await page.getByLabel('Password').fill('open sesame!');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
    expect(await page.getByRole('heading', { name: 'report.bin' }).count()).toBe(0);
    await page.getByLabel('Password').fill('open sesame');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: 'report.bin' }).waitFor();
    const bytes = await downloaded(page, () => page.getByRole('button', { name: 'Download' }).click());
    expect(bytes.equals(report)).toBe(true);
    await page.context().close();
  });

  it("refuses a wrap the server serves for another item than the link's", async () => {
    const link = await makeLink('report.bin', { label: 'swapped' });
    await queryRows(
      server.db,
      sql`update links set node_id = (select id from nodes where kind = 'file' and id <> links.node_id limit 1)
          where id = ${link.id}`,
    );
    const page = await visitor();
    await page.goto(link.url);
    await refusal(page, 'This link does not open');
    await page.getByTestId('link-refusal').filter({ hasText: 'failed its integrity check' }).waitFor();
    await page.context().close();
  });

  /**
   * A visitor whose page sees the server through `tamper`, which rewrites what the server answers for the link: a
   * test-only stand-in for a hostile server. Service workers are kept out so every request of the page passes it.
   */
  async function tamperedVisitor(
    link: MadeLink,
    tamper: { access?: LinkAccessResponse; opened?: OpenLinkResponse },
  ): Promise<Page> {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    if (tamper.access) {
      const access = tamper.access;
      await context.route(`**/api/s/${link.id}/access`, (route) => route.fulfill({ json: access }));
    }
    if (tamper.opened) {
      const opened = tamper.opened;
      await context.route(`**/api/s/${link.id}`, (route) => route.fulfill({ json: opened }));
    }
    return context.newPage();
  }

  /** The page refused the link for what the server sent, and shows nothing of any item. */
  const refusedAsTampered = async (page: Page, link: MadeLink, message: RegExp) => {
    await visit(page, link.url);
    await refusal(page, 'This link does not open');
    expect(await page.getByTestId('link-refusal').textContent()).toMatch(message);
    for (const name of ['report.bin', 'Shared album', 'This link has a password']) {
      expect(await page.getByRole('heading', { name }).count(), name).toBe(0);
    }
    await page.context().close();
  };

  it("refuses the wrap and node the server serves from another of the owner's links, of another item or the same", async () => {
    const link = await makeLink('report.bin', { label: 'the one sent' });
    const ofFolder = await openedByServer(server.origin, await makeLink('Shared album', { label: 'another item' }));
    const ofSameFile = await openedByServer(server.origin, await makeLink('report.bin', { label: 'same item' }));
    const integrity = /failed its integrity check/;
    await refusedAsTampered(await tamperedVisitor(link, { opened: ofFolder }), link, /another link/);
    await refusedAsTampered(await tamperedVisitor(link, { opened: { ...ofFolder, linkId: link.id } }), link, integrity);
    await refusedAsTampered(
      await tamperedVisitor(link, { opened: { ...ofSameFile, linkId: link.id } }),
      link,
      integrity,
    );
  });

  it('refuses a password link served as needing none with a wrap made without it, whose fragment says it has one', async () => {
    const link = await makeLink('report.bin', { password: 'open sesame, again' });
    expect(link.url.endsWith('.p')).toBe(true);
    // What a server would hold had the owner added the password to a link made without one: the same secret's wrap
    // of the same key, without a password. The server cannot make it; the test can, from what the password opens.
    const opened = await openedByServer(server.origin, link);
    const place = { linkId: link.id, ownerId: opened.ownerId, nodeId: opened.node.id, kind: opened.kind };
    const nodeKey = await openLinkWrap(link.keys, opened.wrappedKey, place);
    const earlierWrap = await wrapForLink(await deriveLinkKeys(link.secret, link.id), nodeKey, place);
    const replayed = { ...opened, passwordCost: null, wrappedKey: earlierWrap };
    await refusedAsTampered(
      await tamperedVisitor(link, { access: { passwordCost: null }, opened: replayed }),
      link,
      /made with a password, but the server says it needs none/,
    );
    // And the other way round: a link made without a password, for which the server asks one.
    const plain = await makeLink('report.bin', { label: 'no password' });
    await refusedAsTampered(
      await tamperedVisitor(plain, { access: { passwordCost: DEFAULT_ARGON2ID } }),
      plain,
      /made without a password, but the server asks for one/,
    );
  });

  it('refuses a password link whose Argon2id cost the server lowered, within the bounds or below them', async () => {
    const link = await makeLink('report.bin', { password: 'a costly password' });
    const lowered = { memoryKiB: ARGON2ID_BOUNDS.memoryKiB.min, passes: 2, parallelism: 1 };
    const cheaper = await tamperedVisitor(link, { access: { passwordCost: lowered } });
    await visit(cheaper, link.url);
    await cheaper.getByLabel('Password').fill('a costly password');
    await cheaper.getByRole('button', { name: 'Open' }).click();
    await cheaper.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
    expect(await cheaper.getByRole('heading', { name: 'report.bin' }).count()).toBe(0);
    await cheaper.context().close();
    const weak = await tamperedVisitor(link, { access: { passwordCost: { ...lowered, memoryKiB: 1024 } } });
    await visit(weak, link.url);
    await weak.getByLabel('Password').fill('a costly password');
    await weak.getByRole('button', { name: 'Open' }).click();
    await refusal(weak, 'This link does not open');
    const said = await weak.getByTestId('link-refusal').textContent();
    expect(said).toMatch(/asking for weaker protection for its password than Coffer allows/);
    expect(said).toMatch(/Argon2id memoryKiB must be a whole number of at least/);
    await weak.context().close();
  });

  it('ends access at its expiry, its download limit and its revocation, each with its own page', async () => {
    const expiring = await makeLink('report.bin', { label: 'expiring' });
    const limited = await makeLink('report.bin', { limit: 1, label: 'once' });
    const revoked = await makeLink('Shared album', { label: 'revoked' });
    const page = await visitor();

    await visit(page, expiring.url);
    await page.getByRole('heading', { name: 'report.bin' }).waitFor();
    await queryRows(
      server.db,
      sql`update links set expires_at = now() - interval '1 minute' where id = ${expiring.id}`,
    );
    await visit(page, expiring.url);
    await refusal(page, 'This link has expired');

    await visit(page, limited.url);
    await page.getByText('Downloads left: 1.').waitFor();
    const bytes = await downloaded(page, () => page.getByRole('button', { name: 'Download' }).click());
    expect(bytes.equals(report)).toBe(true);
    await visit(page, limited.url);
    await refusal(page, 'This link has been used up');

    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Links' }).click();
    await owner.getByRole('heading', { name: 'Links', exact: true }).waitFor();
    const row = owner.getByTestId('link-row').filter({ hasText: 'revoked' }).filter({ hasText: 'Shared album' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByTestId('link-status').filter({ hasText: 'revoked' }).waitFor();
    await visit(page, revoked.url);
    await refusal(page, 'This link was revoked');
    // The Links page names each link's item, decrypted on the owner's device, and its state.
    const once = owner.getByTestId('link-row').filter({ hasText: 'once' });
    await once.getByText('report.bin').waitFor();
    await once.getByTestId('link-status').filter({ hasText: 'used up' }).waitFor();
    await owner.getByTestId('link-row').filter({ hasText: 'expiring' }).getByText('expired').waitFor();

    await visit(page, `${server.origin}/s/${limited.id}#not-a-secret`);
    await refusal(page, 'This link is incomplete');
    await page.context().close();
  });

  it('turns a link into preview only from the Links page: its files show on the page, with no download', async () => {
    const link = await makeLink('Shared album', { label: 'to look at' });
    await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Links' }).click();
    const row = owner.getByTestId('link-row').filter({ hasText: 'to look at' });
    await row.getByRole('button', { name: 'Edit' }).click();
    await row.getByLabel('Allow download').uncheck();
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByText('preview only').waitFor();
    const page = await visitor();
    await page.goto(link.url);
    await page.getByRole('heading', { name: 'Shared album' }).waitFor();
    await page.getByRole('button', { name: 'Preview cover.txt' }).click();
    expect(await page.getByTestId('preview-text').textContent()).toBe(album['cover.txt']);
    expect(await page.getByRole('button', { name: /Download/ }).count()).toBe(0);
    await page.context().close();
  });

  it('sends no secret or password anywhere, the token only in its header, and the database keeps its hash', async () => {
    expect(made.length).toBeGreaterThanOrEqual(6);
    const fromServer = server.received.map((request) => ({ url: request.url, headers: request.headers, body: '' }));
    const fromBrowsers = captured.map((request) => ({ ...request, body: request.body.toString('latin1') }));
    const all = [...fromServer, ...fromBrowsers];
    expect(all.some((request) => request.url.includes('/api/s/'))).toBe(true);
    const forms = (bytes: Buffer) => [encodeBase64url(bytes, { padding: false }), bytes.toString('hex')];
    for (const link of made) {
      const never = [
        link.secret,
        ...leakForms(Buffer.from(link.secret, 'base64url')),
        ...(link.password ? [link.password] : []),
      ];
      const token = forms(link.token);
      for (const request of all) {
        const whole = `${request.url}\n${request.headers}\n${request.body}`;
        expect(
          never.filter((value) => whole.includes(value)),
          request.url,
        ).toEqual([]);
        expect(
          token.filter((value) => `${request.url}\n${request.body}`.includes(value)),
          request.url,
        ).toEqual([]);
        const headerLines = request.headers.split('\n').filter((line) => token.some((value) => line.includes(value)));
        for (const line of headerLines) {
          expect(line).toBe(`authorization: Link ${token[0]}`);
          expect(new URL(request.url).pathname.startsWith(`/api/s/${link.id}`)).toBe(true);
        }
      }
      const [row] = await queryRows<{ access_token_hash: Uint8Array; wrapped_key: string; encrypted_label: string }>(
        server.db,
        sql`select * from links where id = ${link.id}`,
      );
      expect(Buffer.from(row!.access_token_hash)).toEqual(createHash('sha256').update(link.token).digest());
      const stored = JSON.stringify(row, (_key, value: unknown) =>
        value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
      );
      for (const value of [...never, ...token]) expect(stored).not.toContain(value);
    }
  });
});
