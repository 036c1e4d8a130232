/**
 * Threat model row 10 against the built web app in Chromium: a server that rolls a folder back. Every write signs the
 * folder's manifest (docs/FORMAT.md 5.3), so the folder view can tell an older listing, a hidden child and a planted
 * one from what its writer signed. One server, one account.
 */
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse, NodeRecord } from '../../shared/api/responses.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { goTo, signUpIn } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { hostileServer } from './hostile-server/attacks.ts';
import { openFiles, rowAction } from './link-owner.ts';
import { tamperJson } from './tamper.ts';

describe('a server that rolls a folder back, in Chromium', () => {
  const hostile = hostileServer(import.meta.url);
  let server: AppServer;
  let browser: Browser;
  let alice: Page;
  let root = '';
  /** The listing of My files before plan.txt was renamed, and the record of a file since trashed. */
  let beforeRename: ChildrenResponse;
  let trashed: NodeRecord;
  let letter = '';

  const rowOf = (name: string) =>
    alice.getByRole('row').filter({ has: alice.getByRole('button', { name, exact: true }) });
  const listing = async () =>
    (await (await alice.request.get(`${server.origin}/api/nodes/${root}/children`)).json()) as ChildrenResponse;
  const upload = async (name: string) => {
    const before = new Set((await listing()).children.map((child) => child.id));
    await alice
      .getByLabel('Files to upload')
      .setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(name) });
    await alice.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await alice.getByRole('button', { name: 'Clear finished' }).click();
    await rowOf(name).waitFor();
    return (await listing()).children.find((child) => !before.has(child.id))!;
  };
  const openMyFiles = async () => {
    await goTo(alice, 'Trash');
    await goTo(alice, 'Files');
    await alice.getByRole('heading', { name: 'My files' }).waitFor();
  };
  const listedAs = (what: string, change: (listed: ChildrenResponse) => ChildrenResponse) => () =>
    tamperJson<ChildrenResponse>(alice.context(), `**/api/nodes/${root}/children`, what, change);
  /** The alert of My files that says `text`, read once it shows. */
  const alertSaying = (text: string) => async () => {
    await openMyFiles();
    const alert = alice.getByRole('alert').filter({ hasText: text });
    await alert.waitFor();
    return (await alert.textContent())!;
  };
  /** The rest of the folder is still there and opens. */
  const notesOpen = async () => {
    await alice.getByRole('button', { name: 'notes.txt', exact: true }).click();
    expect(await alice.getByTestId('preview-text').textContent()).toBe('notes.txt');
    await alice.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  };

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    alice = await signUpIn(await browser.newContext({ serviceWorkers: 'block' }), server.origin);
    await openFiles(alice);
    root = ((await (await alice.request.get(`${server.origin}/api/nodes/root`)).json()) as NodeRecord).id;
    await upload('notes.txt');
    await upload('plan.txt');
    letter = (await upload('letter.txt')).id;
    const old = await upload('old.txt');
    await rowAction(alice, 'old.txt', 'Move to trash');
    await rowOf('old.txt').waitFor({ state: 'detached' });
    trashed = old;
    beforeRename = await listing();
    await rowAction(alice, 'plan.txt', 'Rename');
    await alice.getByLabel('Name', { exact: true }).fill('plan final.txt');
    await alice.getByRole('button', { name: 'Rename', exact: true }).click();
    await rowOf('plan final.txt').waitFor();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs the folder at every write: its manifest names each live child, and not the trashed one', async () => {
    const { children, manifest } = await listing();
    expect(manifest).not.toBeNull();
    expect(manifest!.version).toBeGreaterThan(beforeRename.manifest!.version);
    expect(manifest!.children.map((entry) => entry.id).sort()).toEqual(children.map((child) => child.id).sort());
    expect(manifest!.children.some((entry) => entry.id === trashed.id)).toBe(false);
  });

  it('warns of an older state when the server replays the listing from before a rename', async () => {
    const seen = await hostile.attack({
      row: 10,
      attack: 'My files listed as it was before plan.txt was renamed, with the manifest signed then',
      mount: listedAs('listing replayed', () => beforeRename),
      seen: alertSaying('older state'),
      stillOpens: notesOpen,
      normalise: (seen) =>
        seen.replace(/version \d+; this device has seen \d+/, 'version n; this device has seen a higher one'),
    });
    expect(seen).toContain('The server showed an older state of this folder');
  });

  it('says how many items the server left out when it hides children', async () => {
    await hostile.attack({
      row: 10,
      attack: 'two files of My files left out of its listing',
      mount: listedAs('children hidden', (listed) => ({
        ...listed,
        children: listed.children.filter((child) => child.id === letter),
      })),
      seen: alertSaying('2 items this folder should hold were not shown'),
      stillOpens: async () => {
        await rowOf('letter.txt').waitFor();
      },
    });
  });

  it('refuses and counts a child the manifest does not name, even one Alice wrote there and signed', async () => {
    await hostile.attack({
      row: 10,
      attack: 'a file Alice trashed listed again in My files, as she wrote it, her author signature and all',
      mount: listedAs('child planted', (listed) => ({
        ...listed,
        children: [...listed.children, trashed],
      })),
      seen: async () => {
        const notice = await alertSaying('failed the integrity check')();
        expect(await rowOf('old.txt').count()).toBe(0);
        return notice;
      },
      stillOpens: notesOpen,
    });
  });

  it('publishes what the user saw in docs/SECURITY.md', async () => {
    await hostile.checkPublished();
  });
});
