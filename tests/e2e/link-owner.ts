/**
 * The owner's side of the share-link e2e tests, in Chromium: signing up with a virtual passkey, uploading, and making
 * links in "Get link" as a user would. The visitors' side differs per browser and stays in each test.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Download, Page } from 'playwright';
import { expect } from 'vitest';
import type { OpenLinkResponse } from '../../shared/api/responses.ts';
import {
  DEFAULT_ARGON2ID,
  deriveLinkKeys,
  encodeBase64url,
  parseLinkFragment,
  type LinkKeys,
} from '../../shared/crypto/index.ts';
import { signUpIn } from './accounts.ts';

/** A link as the owner's dialog showed it, and what its secret (and password) derive. */
export interface MadeLink {
  url: string;
  id: string;
  secret: string;
  password?: string;
  keys: LinkKeys;
  token: Buffer;
}

export interface LinkOptions {
  password?: string;
  limit?: number;
  label?: string;
}

/** A new page in `context`, signed up with a PRF passkey on a virtual authenticator, on its (empty) Files page. */
export async function signUpOwner(context: BrowserContext, origin: string): Promise<Page> {
  const owner = await signUpIn(context, origin);
  await openFiles(owner);
  return owner;
}

export async function openFiles(owner: Page): Promise<void> {
  await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files', exact: true }).click();
  await owner.getByRole('heading', { name: 'My files' }).waitFor();
}

/** Uploads files (and, given `folder`, a folder) into the folder shown, and waits until all of it is done. */
export async function upload(owner: Page, files: string[], folder?: string): Promise<void> {
  if (files.length > 0) await owner.getByLabel('Files to upload').setInputFiles(files);
  if (folder) await owner.getByLabel('Folder to upload').setInputFiles(folder);
  await owner.getByRole('heading', { name: 'Uploads complete' }).waitFor();
  await owner.getByRole('button', { name: 'Clear finished' }).click();
}

const fileRow = (owner: Page, name: string) =>
  owner.getByRole('row').filter({ has: owner.getByRole('button', { name, exact: true }) });

/** Clicks `label` in the actions menu of the row named `name`. */
export async function rowAction(owner: Page, name: string, label: string): Promise<void> {
  await owner.getByLabel(`Actions for ${name}`, { exact: true }).click();
  await fileRow(owner, name).getByRole('button', { name: label, exact: true }).click();
}

/**
 * Makes a file-request link into the folder shown, with this label and message, in the owner's "Request files"
 * dialog, and closes it: its URL, with the owner's key fingerprint in the fragment.
 */
export async function makeRequestLink(owner: Page, label: string, message: string): Promise<string> {
  await owner.getByRole('button', { name: 'Request files' }).click();
  await owner.getByLabel('Label').fill(label);
  await owner.getByLabel('Message to the sender').fill(message);
  await owner.getByRole('button', { name: 'Create link' }).click();
  const url = await owner.getByTestId('new-request-url').inputValue();
  await owner.getByRole('button', { name: 'Close' }).click();
  return url;
}

/**
 * Accepts the `count` files sent through the request link labelled `label`, which the owner's Files page lists, and
 * waits until each shows in the folder as from that link, unsigned.
 */
export async function acceptRequestUploads(owner: Page, label: string, names: string[]): Promise<void> {
  // Away and back, so that Files asks again what waits; a reload would lock the account.
  await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Links', exact: true }).click();
  await owner.getByRole('heading', { name: 'Links', exact: true }).waitFor();
  await openFiles(owner);
  await owner.getByRole('heading', { name: 'Sent to you through request links' }).waitFor();
  await expect.poll(() => owner.getByTestId('pending-upload').count()).toBe(names.length);
  await owner
    .getByTestId('pending-upload')
    .filter({ hasText: `from request link “${label}”` })
    .first()
    .waitFor();
  for (let left = names.length; left > 0; left--) {
    await owner.getByTestId('pending-upload').first().getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => owner.getByTestId('pending-upload').count()).toBe(left - 1);
  }
  for (const name of names) {
    await fileRow(owner, name).getByText(`from request link “${label}”, unsigned`).waitFor();
  }
}

/** The bytes of the file `name` in the folder shown, downloaded with its row's Download action. */
export async function downloadFile(owner: Page, name: string): Promise<Buffer> {
  const [download] = await Promise.all([owner.waitForEvent('download'), rowAction(owner, name, 'Download')]);
  return readFileSync((await (download as Download).path())!);
}

/**
 * Makes a link of `name` (in the top folder) in the owner's "Get link" dialog, with these options, and closes the
 * dialog. Its fragment carries the password mark exactly when it has a password.
 */
export async function makeLink(owner: Page, name: string, options: LinkOptions = {}): Promise<MadeLink> {
  await openFiles(owner);
  await rowAction(owner, name, 'Get link');
  const dialog = owner.getByRole('dialog');
  if (options.label) await dialog.getByLabel('Label').fill(options.label);
  if (options.limit) await dialog.getByLabel('Download limit').fill(String(options.limit));
  if (options.password) await dialog.getByLabel('Password (optional)').fill(options.password);
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const url = await dialog.getByTestId('new-link-url').inputValue();
  await dialog.getByRole('img', { name: 'QR code of the link' }).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).last().click();
  const match = /^http:\/\/localhost:\d+\/s\/([0-9a-f-]{36})#([A-Za-z0-9_-]{43}(?:\.p)?)$/.exec(url);
  expect(match, url).not.toBeNull();
  const [, id, fragment] = match!;
  const { secret, withPassword } = parseLinkFragment(fragment!);
  expect(withPassword, url).toBe(options.password !== undefined);
  const keys = await deriveLinkKeys(secret, id!, options.password, DEFAULT_ARGON2ID);
  return { url, id: id!, secret, keys, token: Buffer.from(keys.accessToken), ...options };
}

/** What the server answers the link's holder when it opens the link: its wrap, node and options. */
export async function openedByServer(origin: string, link: MadeLink): Promise<OpenLinkResponse> {
  const response = await fetch(`${origin}/api/s/${link.id}`, {
    headers: { authorization: `Link ${encodeBase64url(link.token, { padding: false })}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as OpenLinkResponse;
}
