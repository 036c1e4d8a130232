/**
 * Editor rosters (docs/FORMAT.md 5.4) in the built web app in Chromium: Alice shares a folder with Bob and Carol as
 * editors, each at their own browser with their own passkey provider; her device signs the folder's roster at each
 * grant. Bob uploads, and Carol's folder view checks Bob's manifest by the roster, with no warning; Carol then uploads,
 * signing over Bob's manifest, and Bob sees her file checked in turn. Against a hostile server, Carol's app refuses
 * in plain words a roster older than the one it saw and one with an editor added; once Alice removes Carol, her own
 * device neither signs Carol back into the roster nor takes her for an editor when the server lists Carol's revoked
 * grant again.
 */
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse, NodeSharesResponse, ShareRecord } from '../../shared/api/responses.ts';
import type { PutEditorRosterRequest } from '../../shared/api/schemas.ts';
import { encodeBase64url, exportPublicKey, generateAccountKeyPairs } from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { chooseHandle, goTo, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { acceptAndOpenFolder, shareFolderAsEditor } from './folder-share.ts';
import { rowAction } from './link-owner.ts';
import { hostileServer } from './hostile-server/attacks.ts';
import { tamperJson } from './tamper.ts';

describe('editor rosters between three accounts, in Chromium', () => {
  const hostile = hostileServer(import.meta.url);
  let server: AppServer;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let carol: Page;
  /** Each roster Alice's device sent, in order. */
  const rosters: PutEditorRosterRequest[] = [];

  const rowOf = (page: Page, name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const openTeam = async (page: Page) => {
    await goTo(page, 'Home');
    await goTo(page, 'Shared with me');
    await page.getByRole('list', { name: 'Shared with you' }).getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { name: 'Team' }).waitFor();
  };
  const upload = async (page: Page, name: string) => {
    await page.getByLabel('Files to upload').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(name) });
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await page.getByRole('button', { name: 'Clear finished' }).click();
    await rowOf(page, name).waitFor();
  };
  /** What the folder view says above its list, once the rows it should show are there. */
  const alerts = async (page: Page) => (await page.getByRole('alert').allTextContents()).join(' ');

  beforeAll(async () => {
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    [alice, bob, carol] = [
      await signUpPerson(browser, server.origin),
      await signUpPerson(browser, server.origin),
      await signUpPerson(browser, server.origin),
    ];
    alice.context().on('request', (request) => {
      if (request.method() === 'PUT' && request.url().endsWith('/editor-roster')) {
        rosters.push(request.postDataJSON() as PutEditorRosterRequest);
      }
    });
    await chooseHandle(alice, 'alice');
    await chooseHandle(bob, 'bob');
    await chooseHandle(carol, 'carol');
    await goTo(alice, 'Files');
    await alice.getByRole('button', { name: 'New folder' }).click();
    await alice.getByLabel('Name', { exact: true }).fill('Team');
    await alice.getByRole('button', { name: 'Create', exact: true }).click();
    await rowOf(alice, 'Team').waitFor();
    await shareFolderAsEditor(alice, 'Team', 'bob');
    await shareFolderAsEditor(alice, 'Team', 'carol');
    await acceptAndOpenFolder(bob, 'alice', 'Team');
    await acceptAndOpenFolder(carol, 'alice', 'Team');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("signs the folder's roster at each grant, naming the editors with the keys Alice pinned", () => {
    expect(rosters.map((roster) => [roster.version, roster.editors.length])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it("checks Bob's manifest on Carol's device by the roster, and Carol's on Bob's once she signs over his", async () => {
    await openTeam(bob);
    await upload(bob, 'from-bob.txt');
    await openTeam(carol);
    await rowOf(carol, 'from-bob.txt').waitFor();
    expect(await alerts(carol)).toBe('');

    await upload(carol, 'from-carol.txt');
    await openTeam(bob);
    await rowOf(bob, 'from-carol.txt').waitFor();
    await rowOf(bob, 'from-bob.txt').waitFor();
    expect(await alerts(bob)).toBe('');
  });

  const teamListing = (
    what: string,
    change: (listed: ChildrenResponse) => ChildrenResponse | Promise<ChildrenResponse>,
  ) =>
    tamperJson<ChildrenResponse>(
      carol.context(),
      (url) => url.pathname.startsWith('/api/nodes/') && url.pathname.endsWith('/children'),
      what,
      change,
    );
  const carolSees = (text: string) => async () => {
    await openTeam(carol);
    const alert = carol.getByRole('alert').filter({ hasText: text });
    await alert.waitFor();
    return (await alert.textContent())!;
  };
  const carolsFileOpens = async () => {
    await rowOf(carol, 'from-carol.txt').waitFor();
  };

  it('refuses, in plain words, a roster older than the one Carol saw', async () => {
    const seen = await hostile.attack({
      row: 10,
      attack: "Team listed to Carol with Alice's first list of its editors, from before Carol was one",
      mount: () => teamListing('older roster', (listed) => ({ ...listed, editorRoster: { ...rosters[0]! } })),
      seen: carolSees('older list of this shared folder'),
      stillOpens: carolsFileOpens,
    });
    expect(seen).toContain('version 1; this device has seen 2');
  });

  it('refuses, in plain words, a roster with an editor the server added', async () => {
    const planted = crypto.randomUUID();
    const key = encodeBase64url(await exportPublicKey((await generateAccountKeyPairs()).signing.publicKey));
    await hostile.attack({
      row: 3,
      attack: "an editor the server made up added to Team's list of editors, as Carol lists it",
      mount: () =>
        teamListing('editor added', (listed) => ({
          ...listed,
          editorRoster: listed.editorRoster && {
            ...listed.editorRoster,
            editors: [...listed.editorRoster.editors, { id: planted, signingKey: key }],
          },
        })),
      seen: carolSees("list of this shared folder's editors that the server gave was refused"),
      stillOpens: carolsFileOpens,
      normalise: (seen) => seen.replace(/folder [0-9a-f-]{36}/, 'folder (id)'),
    });
  });

  it("keeps Carol removed on Alice's device when the server lists her revoked grant again", async () => {
    const openTeamAsOwner = async () => {
      await goTo(alice, 'Files');
      await rowOf(alice, 'Team').getByRole('button', { name: 'Team', exact: true }).click();
      await alice.getByRole('heading', { name: 'Team' }).waitFor();
    };
    await openTeamAsOwner();
    const teamId = new URL(alice.url()).pathname.split('/').pop()!;
    const listing = await alice.evaluate(
      async (id) => ((await (await fetch(`/api/nodes/${id}/shares`)).json()) as NodeSharesResponse).shares,
      teamId,
    );
    const carolsGrant: ShareRecord = listing.find((share) => share.recipientHandle === 'carol')!;

    await goTo(alice, 'Files');
    await rowAction(alice, 'Team', 'Share');
    const dialog = alice.getByRole('dialog', { name: 'Share “Team”' });
    await dialog.getByRole('button', { name: 'Remove @carol' }).click();
    await dialog
      .getByRole('status')
      .filter({ hasText: "@carol no longer has access, and this folder's keys were changed" })
      .waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const signed = rosters.length;
    expect(rosters.at(-1)!.editors).toHaveLength(1);

    const label = await hostile.attack({
      row: 10,
      attack: "Carol's revoked editor grant of Team listed again to Alice's device",
      mount: () =>
        tamperJson<NodeSharesResponse>(
          alice.context(),
          (url) => url.pathname === `/api/nodes/${teamId}/shares`,
          'revoked grant listed again',
          (listed) => ({ ...listed, shares: [...listed.shares, carolsGrant] }),
        ),
      seen: async () => {
        await openTeamAsOwner();
        const carols = rowOf(alice, 'from-carol.txt').getByText(/^added by @carol/);
        await carols.waitFor();
        await alice.waitForLoadState('networkidle');
        return (await carols.textContent())!;
      },
      stillOpens: async () => {
        await rowOf(alice, 'from-bob.txt').waitFor();
      },
    });
    expect(label).toContain('not an editor you know of');
    expect(rosters.length).toBe(signed);
  });

  it('publishes what Carol and Alice saw in docs/SECURITY.md', async () => {
    await hostile.checkPublished();
  });
});
