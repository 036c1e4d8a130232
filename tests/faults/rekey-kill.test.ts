/**
 * The server killed (SIGKILL) in the middle of a share's key rotation: after a member is revoked, the owner's client
 * sends the rotation, whose transaction the test holds half-applied (its folders rewritten, one file's row locked by
 * the test) when the process dies. After a restart the rotation is not applied at all: every node still has the wrap
 * it had, which is what the API shows the client. The client retries it, which applies it whole; fsck is clean.
 */
import { inArray } from 'drizzle-orm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.ts';
import { nodes } from '../../server/db/schema.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { rotateFolderKeys, type RotateOptions } from '../../web/src/lib/sharing/rotate-keys.ts';
import { createSignedInUser } from '../server/accounts.ts';
import { ok } from '../server/client.ts';
import { ORIGIN, type Harness, type TestUser } from '../server/harness.ts';
import { keyedFile, keyedFolder, keyedRoot } from '../server/keyed-tree.ts';
import { ringOf, sendAs, shareFolder } from '../server/rotation-client.ts';
import { makeSharingUser, type SharingUser } from '../server/sharing-accounts.ts';
import { FaultInstance } from './fault-instance.ts';

describe('the server killed during a key rotation', { timeout: 180_000 }, () => {
  let work: string;
  let database: { url: string; drop: () => Promise<void> };
  let handle: DatabaseHandle;
  let coffer: FaultInstance;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-rekey-kill-'));
    database = await createPostgresDatabase();
    coffer = new FaultInstance({ DATA_DIR: work, DATABASE_URL: database.url });
    await coffer.start();
    handle = await openDatabase({ url: database.url });
  }, 120_000);
  afterAll(async () => {
    await coffer?.stop();
    await handle?.close();
    await database?.drop();
    await rm(work, { recursive: true, force: true });
  });

  /** Accounts with published key pairs, signed in on the server process. */
  const accounts = {
    db: undefined as unknown as Harness['db'],
    async makeUser(quotaBytes = 1024 ** 3): Promise<TestUser> {
      const { id, cookie } = await createSignedInUser(handle.db, quotaBytes, new Date(Date.now() + 86_400_000));
      return {
        id,
        cookie,
        request: (path, init = {}) =>
          fetch(`${coffer.url}${path}`, {
            ...init,
            headers: { cookie, origin: ORIGIN, ...(init.headers as Record<string, string>) },
          }),
      };
    },
  };

  it('applies none of a rotation cut short, and all of it when the client retries', async () => {
    accounts.db = handle.db;
    const h = accounts as unknown as Harness;
    const owner: SharingUser = await makeSharingUser(h);
    const member: SharingUser = await makeSharingUser(h);
    const tree = await keyedRoot(owner);
    const shared = await keyedFolder(owner, tree.root, 'Shared');
    const inner = await keyedFolder(owner, shared, 'Inner');
    const file = await keyedFile(owner, inner);
    const shareId = await shareFolder(owner, member, shared, 'viewer');
    await ok(owner.request(`/api/shares/${shareId}`, { method: 'DELETE' }), 204);

    const subtree = [shared.id, inner.id, file.id];
    const wraps = async () =>
      new Map(
        (await handle.db.select().from(nodes).where(inArray(nodes.id, subtree))).map((row) => [row.id, row.wrappedKey]),
      );
    const before = await wraps();
    const ring = ringOf([tree.root, shared, inner]);
    const options: RotateOptions = {
      account: { userId: owner.id, masterKey: tree.masterKey, signingKey: owner.keys.signing.privateKey },
      recipientSharingKey: () => Promise.reject(new Error('no member keeps access')),
      send: sendAs(owner),
    };

    // The test holds the file's row: the rotation rewrites the folders, then waits for it inside its transaction.
    const blocker = postgres(database.url, { max: 1, onnotice: () => undefined });
    const held = await blocker.reserve();
    await held`begin`;
    await held`select id from nodes where id = ${file.id} for update`;
    const cutShort = rotateFolderKeys(ring, shared.id, options).then(
      () => 'applied',
      (error: unknown) => error,
    );
    await expect
      .poll(
        async () =>
          (
            await held`select count(*)::int as waiting from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`
          )[0]!.waiting as number,
        { timeout: 60_000 },
      )
      .toBe(1);
    await coffer.kill();
    await held`rollback`;
    held.release();
    await blocker.end();
    expect(await cutShort).toBeInstanceOf(Error);

    // Not applied at all: every node keeps the wrap it had, which the client reads back from the API too.
    await coffer.start();
    expect(await wraps()).toEqual(before);
    const listed = await ok<{ wrappedKey: string }>(owner.request(`/api/nodes/${shared.id}`));
    expect(listed.wrappedKey).toBe(before.get(shared.id));

    expect(await rotateFolderKeys(ring, shared.id, options)).toMatchObject({ folders: 2, files: 1, grants: 0 });
    const after = await wraps();
    for (const id of subtree) expect(after.get(id), id).not.toBe(before.get(id));
    const relisted = await ok<{ wrappedKey: string }>(owner.request(`/api/nodes/${shared.id}`));
    expect(relisted.wrappedKey).toBe(after.get(shared.id));
    await coffer.expectFsckClean();
  });
});
