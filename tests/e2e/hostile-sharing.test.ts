/**
 * Sharing against a hostile server, in the built web app (issue 25; threat model rows 3 and 4), with Alice and Bob
 * each at their own browser and a tamper layer (tamper.ts) rewriting the real server's answers: when the server gives
 * other keys for Bob, whom Alice pinned as verified, her share dialog warns and nothing is shared; Bob's list of
 * shares shows Alice's share as from an unverified sender until he compares her words; then each grant the server
 * slips in beside the genuine one (a flipped signature byte, another recipient, another node, a viewer grant
 * relabelled editor, and one the server forged in Alice's name with its own keys) is refused, counted and not shown,
 * while the genuine share still opens; and a share Bob never accepted, which the server marks accepted (in the list
 * it gives, then in its own records, serving the folder to him), waits for his answer and does not open in his file
 * browser. Each of these attacks is recorded (hostile-server/attacks.ts) with what Bob's screen showed, and published in
 * docs/SECURITY.md's table. The tamper layer is in no build (hostile-server.test.ts checks it).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { chromium, type Browser, type Page, type Request } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandleLookupResponse, IncomingShare } from '../../shared/api/responses.ts';
import {
  decodeBase64url,
  encodeBase64url,
  generateAccountKeyPairs,
  generateNodeKey,
  makeGrant,
} from '../../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';
import { chooseHandle, goTo, signUpPerson } from './accounts.ts';
import { startAppServer, type AppServer } from './app-server.ts';
import { hostileServer } from './hostile-server/attacks.ts';
import { markIncomingSharesAccepted, slipIntoIncomingShares, substitutePublishedKeys } from './tamper.ts';

const REFUSED = 'One item among the shares made to you failed the integrity check and is not shown';

/** The grant's signature with one bit of one byte flipped. */
function flippedSignature(signature: string): string {
  const bytes = decodeBase64url(signature);
  bytes[10]! ^= 1;
  return encodeBase64url(bytes);
}

/** What a refusal names by a random id: the same words every run. */
const withoutIds = (text: string) => text.replace(/\([0-9a-f]{8}\)/g, '(id)');
/** When a share was offered, as the list of shares waiting for an answer says it: the same words every run. */
const withoutDate = (text: string) => text.replace(/offered .+? \(server's date\)/, "offered (date) (server's date)");

describe('sharing against a hostile server, in Chromium', () => {
  const hostile = hostileServer(import.meta.url);
  let server: AppServer;
  let browser: Browser;
  let dir: string;
  let alice: Page;
  let bob: Page;
  /** Why Bob's app refused shares, as it tells the console. */
  const refusals: string[] = [];
  const report = 'Minutes of the board, for Bob only.\n';

  const row = (page: Page, name: string) =>
    page.getByRole('row').filter({ has: page.getByRole('button', { name, exact: true }) });
  const shareCount = async () =>
    (await queryRows<{ count: number }>(server.db, sql`select count(*)::int as count from shares`))[0]!.count;
  const openShareDialog = async () => {
    await goTo(alice, 'Files');
    await alice.getByLabel('Actions for report.txt', { exact: true }).click();
    await row(alice, 'report.txt').getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = alice.getByRole('dialog', { name: 'Share “report.txt”' });
    await dialog.getByLabel('Their handle').fill('bob');
    await dialog.getByRole('button', { name: 'Find' }).click();
    return dialog;
  };
  /** Bob's "Shared with me" freshly loaded, as he opens it from elsewhere. */
  const openSharedWithMe = async () => {
    await goTo(bob, 'Home');
    await goTo(bob, 'Shared with me');
    await bob.getByRole('heading', { name: 'Shared with me' }).waitFor();
  };
  const waiting = () => bob.getByRole('list', { name: 'Waiting for your answer' }).getByRole('listitem');
  const sharedWithBob = () => bob.getByRole('list', { name: 'Shared with you' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-hostile-sharing-e2e-'));
    server = await startAppServer('web app');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    alice = await signUpPerson(browser, server.origin);
    bob = await signUpPerson(browser, server.origin);
    bob.on('console', (message) => {
      if (message.text().startsWith('A share was refused')) refusals.push(message.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('warns and shares nothing when the server gives other keys for a verified contact', async () => {
    await chooseHandle(alice, 'alice');
    await chooseHandle(bob, 'bob');
    const bobsWords = (await bob.getByTestId('fingerprint').textContent())!.trim();
    await goTo(alice, 'Files');
    const path = join(dir, 'report.txt');
    writeFileSync(path, report);
    await alice.getByLabel('Files to upload').setInputFiles(path);
    await alice.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await alice.getByRole('button', { name: 'Clear finished' }).click();

    // Alice pins Bob after comparing his words, and shares nothing yet.
    let dialog = await openShareDialog();
    expect((await dialog.getByTestId('share-fingerprint').textContent())!.trim()).toBe(bobsWords);
    await dialog.getByRole('button', { name: 'I compared them: mark verified' }).click();
    await dialog.getByText('(verified contact)').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const sharesPosted: string[] = [];
    const record = (request: Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/api/shares')) {
        sharesPosted.push(request.url());
      }
    };
    alice.context().on('request', record);
    const substituted = await substitutePublishedKeys(alice.context(), 'bob', await generateAccountKeyPairs());
    try {
      dialog = await openShareDialog();
      const warning = dialog.getByRole('alert').filter({ hasText: 'Warning: the keys of @bob have changed' });
      await warning.getByText('Nothing was shared.').waitFor();
      expect(await dialog.getByRole('button', { name: 'Share', exact: true }).count()).toBe(0);
      await warning.getByRole('button', { name: 'Do not share' }).click();
      await dialog.getByRole('button', { name: 'Close' }).click();
    } finally {
      alice.context().off('request', record);
      await substituted.restore();
    }
    expect(substituted.rewritten).toBeGreaterThan(0);
    expect(sharesPosted).toEqual([]);
    expect(await shareCount()).toBe(0);
  });

  it('labels a share from a sender Bob has not verified, until he compares their words', async () => {
    const dialog = await openShareDialog();
    await dialog.getByText('(verified contact)').waitFor();
    await dialog.getByLabel('View and download (viewer)').check();
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText('@bob · viewer · not accepted yet').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    await openSharedWithMe();
    await expect.poll(() => waiting().count()).toBe(1);
    const offered = (await waiting().textContent())!.replace(/\s+/g, ' ');
    expect(offered).toContain('A file from @alice, as viewer (from an unverified sender)');

    await goTo(alice, 'Settings');
    const alicesWords = (await alice.getByTestId('fingerprint').textContent())!.trim();
    await bob.getByRole('button', { name: 'Verify @alice' }).click();
    const verify = bob.getByRole('dialog', { name: 'Verify @alice' });
    await expect
      .poll(async () => (await verify.getByTestId('sender-fingerprint').textContent())?.trim())
      .toBe(alicesWords);
    await verify.getByRole('button', { name: 'I compared them: mark verified' }).click();
    await expect.poll(() => bob.getByText('(from an unverified sender)').count()).toBe(0);
    await bob.getByRole('button', { name: 'Accept the share from @alice' }).click();
    await sharedWithBob().getByRole('button', { name: 'report.txt', exact: true }).waitFor();
  });

  /**
   * Bob's "Shared with me", with a share slipped in: the notice of the one it refused, read from his screen, once it is
   * refused for `reason` and nothing of it is shown.
   */
  const refusedAmongShares = (reason: RegExp) => async () => {
    refusals.length = 0;
    await openSharedWithMe();
    await expect.poll(() => bob.getByText('Loading…').count()).toBe(0);
    expect(await waiting().allTextContents()).toEqual([]);
    const listed = await sharedWithBob().getByRole('listitem').allTextContents();
    expect(listed).toEqual([expect.stringContaining('report.txt')]);
    const alerts = await bob.getByRole('alert').allTextContents();
    expect(alerts.map((text) => text.replace(/\s+/g, ' ').trim())).toEqual([expect.stringContaining(REFUSED)]);
    expect(refusals).toEqual([expect.stringMatching(reason)]);
    return alerts[0]!;
  };
  /** The genuine share still opens in Bob's "Shared with me". */
  const genuineOpens = async () => {
    await openSharedWithMe();
    await sharedWithBob().getByRole('button', { name: 'report.txt', exact: true }).click();
    expect(await bob.getByTestId('preview-text').textContent()).toBe(report);
    await bob.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  };
  /** The genuine share, copied under a new id as still waiting for Bob's answer, with `change` made to it. */
  const copied = (genuine: IncomingShare, change: (copy: IncomingShare) => IncomingShare): IncomingShare =>
    change({
      ...genuine,
      id: randomUUID(),
      status: 'pending',
      acceptedAt: null,
      grant: { ...genuine.grant },
    });
  const signatureFails = /does not verify with the sender's signing key/;

  it.each([
    {
      what: 'a grant with a flipped signature byte',
      reason: signatureFails,
      change: (copy: IncomingShare) => ({
        ...copy,
        grant: { ...copy.grant, signature: flippedSignature(copy.grant.signature) },
      }),
    },
    {
      what: 'a grant naming another recipient',
      reason: signatureFails,
      change: (copy: IncomingShare) => ({ ...copy, grant: { ...copy.grant, recipientId: copy.senderId } }),
    },
    {
      what: 'a grant moved to another node',
      reason: signatureFails,
      change: (copy: IncomingShare) => {
        const nodeId = randomUUID();
        return { ...copy, nodeId, grant: { ...copy.grant, nodeId } };
      },
    },
    {
      what: 'a genuine grant listed as another node',
      reason: /the grant names another node than the one expected/,
      change: (copy: IncomingShare) => ({ ...copy, nodeId: randomUUID() }),
    },
    {
      what: 'a viewer grant relabelled editor',
      reason: signatureFails,
      change: (copy: IncomingShare) => ({
        ...copy,
        role: 'editor' as const,
        grant: { ...copy.grant, role: 'editor' as const },
      }),
    },
    {
      what: 'a genuine viewer grant listed as editor',
      reason: /the grant names another role than the one expected/,
      change: (copy: IncomingShare) => ({ ...copy, role: 'editor' as const }),
    },
  ])('refuses $what beside the genuine share, which still opens', async ({ what, reason, change }) => {
    await hostile.attack({
      row: 3,
      attack: `${what} slipped into the shares made to Bob, beside Alice's genuine share`,
      mount: () => slipIntoIncomingShares(bob.context(), what, ([genuine]) => [copied(genuine!, change)]),
      seen: refusedAmongShares(reason),
      stillOpens: genuineOpens,
    });
  });

  it("refuses a grant the server forged in Alice's name with keys it holds, even publishing them as hers", async () => {
    const forger = await generateAccountKeyPairs();
    const bobFound = (await (await bob.request.get(`${server.origin}/api/handles/bob`)).json()) as HandleLookupResponse;
    const forge = async ([genuine]: IncomingShare[]) => {
      const grant = await makeGrant({
        terms: {
          senderId: genuine!.senderId,
          recipientId: bobFound.userId,
          ownerId: genuine!.ownerId,
          nodeId: genuine!.nodeId,
          kind: 'file',
          role: 'editor',
        },
        nodeKey: generateNodeKey(),
        senderSigningKey: forger.signing.privateKey,
        recipientSharingKey: decodeBase64url(bobFound.publicKeys.sharing!),
      });
      return [copied(genuine!, (copy) => ({ ...copy, role: 'editor', grant }))];
    };
    // Bob checks a grant against the signing key he pinned for Alice, so he never asks the server for hers: the keys
    // it publishes as hers go unread, which the count of their lookups shows.
    const publishedAsAlices = await substitutePublishedKeys(bob.context(), 'alice', forger);
    try {
      await hostile.attack({
        row: 4,
        attack:
          "an editor grant forged in Alice's name with keys the server holds, slipped into Bob's shares, the server publishing those keys as hers",
        mount: () => slipIntoIncomingShares(bob.context(), "a grant forged in Alice's name", forge),
        seen: refusedAmongShares(signatureFails),
        stillOpens: genuineOpens,
      });
      expect(publishedAsAlices.rewritten).toBe(0);
    } finally {
      await publishedAsAlices.restore();
    }
  });

  it("keeps a share the server marks accepted waiting for Bob's answer, and does not open it", async () => {
    await goTo(alice, 'Files');
    await alice.getByRole('button', { name: 'New folder' }).click();
    await alice.getByLabel('Name', { exact: true }).fill('Plans');
    await alice.getByRole('button', { name: 'Create', exact: true }).click();
    await alice.getByLabel('Actions for Plans', { exact: true }).click();
    await row(alice, 'Plans').getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = alice.getByRole('dialog', { name: 'Share “Plans”' });
    await dialog.getByLabel('Their handle').fill('bob');
    await dialog.getByRole('button', { name: 'Find' }).click();
    await dialog.getByText('(verified contact)').waitFor();
    await dialog.getByLabel('View and download (viewer)').check();
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText('@bob · viewer · not accepted yet').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    /** Bob's answer is still asked for: what his list of shares waiting for it shows, read from his screen. */
    const stillWaiting = async () => {
      await openSharedWithMe();
      await expect.poll(() => bob.getByText('Loading…').count()).toBe(0);
      await expect.poll(() => waiting().count()).toBe(1);
      const offered = (await waiting().textContent())!;
      expect(offered.replace(/\s+/g, ' ')).toContain('A folder from @alice, as viewer');
      const listed = await sharedWithBob().getByRole('listitem').allTextContents();
      expect(listed).toEqual([expect.stringContaining('report.txt')]);
      return offered;
    };
    await hostile.attack({
      row: 3,
      attack: 'a share of the folder Plans that Bob never answered, listed to him as accepted',
      mount: () => markIncomingSharesAccepted(bob.context()),
      seen: stillWaiting,
      stillOpens: genuineOpens,
      normalise: withoutDate,
    });

    // The server accepts it in its own records too, so it lists it accepted and serves the folder to Bob.
    let planted = '';
    const acceptedByServer = (status: 'accepted' | 'pending') =>
      queryRows<{ nodeId: string }>(
        server.db,
        status === 'accepted'
          ? sql`update shares set status = 'accepted', accepted_at = now() where status = 'pending' returning node_id as "nodeId"`
          : sql`update shares set status = 'pending', accepted_at = null where node_id = ${planted} returning node_id as "nodeId"`,
      );
    await hostile.attack({
      row: 3,
      attack:
        "the share of Plans accepted in the server's own records, so listed accepted and the folder served to Bob, who follows a link to it",
      mount: async () => {
        const rows = await acceptedByServer('accepted');
        planted = rows[0]!.nodeId;
        return { rewritten: rows.length, restore: async () => void (await acceptedByServer('pending')) };
      },
      seen: async () => {
        await stillWaiting();
        // Bob follows a link to the folder inside the app, with the account still unlocked: nothing of it opens.
        await bob.evaluate((href) => {
          const link = Object.assign(document.createElement('a'), { href });
          document.body.append(link);
          link.click();
          link.remove();
        }, `/files/${planted}`);
        await bob.waitForURL(`**/files/${planted}`);
        const refusal = bob.getByRole('alert').filter({ hasText: 'failed its integrity check' });
        await refusal.waitFor();
        expect(await bob.getByRole('heading', { name: 'Plans' }).count()).toBe(0);
        return (await refusal.textContent())!;
      },
      stillOpens: genuineOpens,
      normalise: withoutIds,
    });
  });

  it('publishes its attacks in docs/SECURITY.md', async () => {
    await hostile.checkPublished();
  });
});
