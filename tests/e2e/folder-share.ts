/**
 * A folder shared between two people through the app, as the backup and leak-scan drills need it: the owner shares it
 * as editor without comparing fingerprints, and the recipient accepts it and opens it.
 */
import type { Page } from 'playwright';
import { goTo } from './accounts.ts';
import { rowAction } from './link-owner.ts';

/** Shares the folder named `folder` with @`handle` as editor, from the owner's open files. */
export async function shareFolderAsEditor(owner: Page, folder: string, handle: string): Promise<void> {
  await rowAction(owner, folder, 'Share');
  const dialog = owner.getByRole('dialog', { name: `Share “${folder}”` });
  await dialog.getByLabel('Their handle').fill(handle);
  await dialog.getByRole('button', { name: 'Find' }).click();
  await dialog.getByRole('button', { name: 'Share anyway (unverified)' }).click();
  await dialog.getByLabel(/editor/).check();
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog.getByText(`@${handle} · editor · not accepted yet`).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

/** Accepts the share from @`sender` and opens the folder it gives. */
export async function acceptAndOpenFolder(recipient: Page, sender: string, folder: string): Promise<void> {
  await goTo(recipient, 'Shared with me');
  await recipient.getByRole('button', { name: `Accept the share from @${sender}` }).click();
  await recipient.getByRole('list', { name: 'Shared with you' }).getByRole('link', { name: folder }).click();
  await recipient.getByRole('heading', { name: folder }).waitFor();
}
