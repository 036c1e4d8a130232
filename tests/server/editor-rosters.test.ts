/**
 * Editor rosters (docs/FORMAT.md section 5.4): the server cannot check the owner's signature, only a roster's form,
 * that it is the next version and that the folder's owner sends it. It lists the share's roster to its members with
 * the children of any folder they reach through the share, and none to the owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse, EditorRosterResponse } from '../../shared/api/responses.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { createFolder, fails, json, ok } from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import { makeSharingUser, shareAccepted, sharingUserWithFolder } from './sharing-accounts.ts';

const random = (bytes: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));
const roster = (version: number, ids: string[]) => ({
  version,
  editors: ids.map((id) => ({ id, signingKey: random(91) })),
  signature: random(64),
});
const put = (body: unknown): RequestInit => ({ ...json(body), method: 'PUT' });

describe.each(DATABASE_KINDS)('editor rosters on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it("takes only the owner's next version, and lists the share's roster to its members in every folder", async () => {
    const { owner, folder } = await sharingUserWithFolder(h);
    const [editor, viewer] = [await makeSharingUser(h), await makeSharingUser(h)];
    await shareAccepted(owner, editor, folder, { role: 'editor' });
    await shareAccepted(owner, viewer, folder);
    const inside = await createFolder(owner, folder);
    const listing = (who: typeof owner, id: string) => ok<ChildrenResponse>(who.request(`/api/nodes/${id}/children`));

    expect((await listing(viewer, folder)).editorRoster).toBeNull();
    await ok(owner.request(`/api/nodes/${folder}/editor-roster`, put(roster(1, [editor.id]))));
    const second = roster(2, [editor.id]);
    const stored = await ok<EditorRosterResponse>(owner.request(`/api/nodes/${folder}/editor-roster`, put(second)));
    expect(stored).toEqual({ folderId: folder, roster: second });

    for (const [who, id] of [
      [viewer, folder],
      [viewer, inside],
      [editor, inside],
    ] as const) {
      expect((await listing(who, id)).editorRoster).toEqual(second);
    }
    expect((await listing(owner, folder)).editorRoster).toBeNull();
    expect(await ok(viewer.request(`/api/nodes/${folder}/editor-roster`))).toEqual(stored);

    for (const [sent, what] of [
      [1, 'a first version again'],
      [2, 'the same version again'],
      [4, 'a version skipped'],
    ] as const) {
      const message = await fails(
        owner.request(`/api/nodes/${folder}/editor-roster`, put(roster(sent, []))),
        409,
        'EDITOR_ROSTER_STALE',
      );
      expect(message, what).toContain(`at version 2, so the next is version 3; got version ${sent}`);
    }
    await fails(editor.request(`/api/nodes/${folder}/editor-roster`, put(roster(3, [editor.id]))), 403, 'FORBIDDEN');
    expect((await listing(viewer, folder)).editorRoster?.version).toBe(2);
  });

  it('refuses a malformed roster', async () => {
    const { owner, folder } = await sharingUserWithFolder(h);
    const id = crypto.randomUUID();
    const malformed = [
      { ...roster(1, []), version: 0 },
      { ...roster(1, []), version: 2 ** 32 },
      roster(1, [id, id]),
      roster(1, [id.toUpperCase()]),
      { ...roster(1, []), editors: [{ id, signingKey: '' }] },
      { ...roster(1, []), signature: random(63) },
    ];
    for (const body of malformed) {
      await fails(owner.request(`/api/nodes/${folder}/editor-roster`, put(body)), 400, 'VALIDATION');
    }
  });
});
