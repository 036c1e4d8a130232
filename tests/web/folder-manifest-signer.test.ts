/**
 * A writer's re-signing of a folder's manifest (web/src/lib/integrity/folder-manifest-signer.ts) against a server that
 * lies: it signs the next version naming only the children it can vouch for, never one the server slipped in or one
 * that failed to open, signs nothing over a state the folder view would warn of, and signs again when another writer
 * took the version first.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChildrenResponse } from '../../shared/api/responses.ts';
import type { PutFolderManifestRequest } from '../../shared/api/schemas.ts';
import {
  decodeBase64url,
  generateAccountKeyPairs,
  signAuthorship,
  verifyFolderManifest,
  type AuthorStatement,
  type FolderManifest,
} from '../../shared/crypto/index.ts';
import type { KeyRing } from '../../web/src/lib/files/key-ring.ts';
import type { NodeRecord, OpenNode } from '../../web/src/lib/files/node-records.ts';
import { TamperedNodeError } from '../../web/src/lib/files/open-record.ts';
import { FolderManifestSigner } from '../../web/src/lib/integrity/folder-manifest-signer.ts';
import { pendingWritesInMemory, type PendingWrites } from '../../web/src/lib/integrity/pending-writes.ts';
import { seenVersionsInMemory, type SeenVersions } from '../../web/src/lib/integrity/seen-versions.ts';
import { listChildren } from '../../web/src/lib/files/folder-listing.ts';
import { resignRotated } from '../../web/src/lib/sharing/rotate-keys.ts';
import type { RekeyPlanResponse } from '../../shared/api/responses.ts';
import {
  child,
  EDITOR,
  editor,
  entryOf,
  FOLDER,
  OWNER,
  owner,
  publicKeys,
  random,
  rules,
  signed,
} from './manifest-fixture.ts';

const STRANGER = 'c0ffee00-0000-4000-8000-000000000003';
const stranger = await generateAccountKeyPairs();

afterEach(() => vi.unstubAllGlobals());

/**
 * A server holding the folder's listing and manifest: it lists them, and stores a manifest only as the next version,
 * as the real one does.
 */
function server(records: NodeRecord[], manifest: FolderManifest | null) {
  const state = { records, manifest, puts: [] as PutFolderManifestRequest[], listings: 0 };
  vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
    if (init.method === 'GET' && path === `/api/nodes/${FOLDER}/children`) {
      state.listings++;
      return Response.json({
        children: state.records,
        manifest: state.manifest,
        editorRoster: null,
      } satisfies ChildrenResponse);
    }
    if (init.method === 'PUT' && path === `/api/nodes/${FOLDER}/manifest`) {
      const body = JSON.parse(init.body as string) as PutFolderManifestRequest;
      state.puts.push(body);
      const next = (state.manifest?.version ?? 0) + 1;
      if (body.version !== next) {
        const error = { code: 'FOLDER_MANIFEST_STALE', message: `the next is version ${next}` };
        return Response.json({ error }, { status: 409 });
      }
      state.manifest = { ...body, writerId: OWNER };
      return Response.json({ folderId: FOLDER, manifest: state.manifest });
    }
    return Response.json({ error: { code: 'NOT_FOUND', message: `no ${path}` } }, { status: 404 });
  });
  return state;
}

/** A writer's key ring, reduced to what the signer and the listing use of it; `refused` fail to open. */
function ring(as = { id: OWNER, keys: owner }, refused: string[] = []): KeyRing {
  return {
    author: { userId: as.id, signingKey: async () => as.keys.signing.privateKey },
    ownerOf: (nodeId: string) => (nodeId === FOLDER ? OWNER : undefined),
    openChildren: async (_folderId: string, children: NodeRecord[]) => ({
      opened: children
        .filter((record) => !refused.includes(record.id))
        .map((record) => ({ id: record.id, parentId: FOLDER, ownerId: OWNER, kind: record.kind }) as OpenNode),
      refused: refused.map((id) => new TamperedNodeError(id, 'wrapped key failed authentication')),
    }),
  } as unknown as KeyRing;
}

function signer(
  seen: SeenVersions = seenVersionsInMemory(),
  as = { id: OWNER, keys: owner },
  refused: string[] = [],
  pending: PendingWrites = pendingWritesInMemory(),
) {
  const writerRing = ring(as, refused);
  return new FolderManifestSigner({ ring: () => writerRing, seen, pending, rulesFor: async () => rules });
}

/** What the writer states as it sends a write of `record` into the folder. */
const statementOf = (record: NodeRecord): AuthorStatement => ({
  action: 'rename',
  authorId: OWNER,
  ownerId: OWNER,
  nodeId: record.id,
  parentId: FOLDER,
  kind: record.kind,
  revision: record.currentRevision && {
    number: record.currentRevision.number,
    header: decodeBase64url(record.currentRevision.header),
  },
  encryptedMetadata: decodeBase64url(record.encryptedMetadata),
});

/** The children the stored manifest names, after checking that the owner signed it for this folder. */
async function named(manifest: FolderManifest | null): Promise<string[]> {
  await verifyFolderManifest(manifest!, { folderId: FOLDER, ownerId: OWNER }, publicKeys.get(OWNER)!);
  return manifest!.children.map(({ id }) => id).sort();
}

describe("a writer's re-signing of a folder's manifest", () => {
  it('signs the next version naming the children as they are and the one it just wrote, and remembers it', async () => {
    const kept = [child(), child('folder')];
    const written = child();
    const stored = server([...kept, written], await signed(4, kept));
    const seen = seenVersionsInMemory();
    await signer(seen).resign(FOLDER, [written.id.toUpperCase()]);
    expect(stored.manifest!.version).toBe(5);
    expect(await named(stored.manifest)).toEqual([...kept, written].map(({ id }) => id).sort());
    expect(stored.manifest!.children).toEqual(
      expect.arrayContaining(await Promise.all([...kept, written].map(entryOf))),
    );
    expect(await seen.highest('folder', FOLDER)).toBe(5);
  });

  it('leaves out a child the server slipped in, one changed behind the manifest, and one that failed to open', async () => {
    const kept = child();
    const renamedBehind = child();
    const broken = child();
    const written = child();
    const planted = child();
    const manifest = await signed(2, [kept, renamedBehind, broken]);
    const listed = [kept, { ...renamedBehind, encryptedMetadata: random(153) }, broken, written, planted];
    const stored = server(listed, manifest);
    await signer(undefined, undefined, [broken.id, written.id]).resign(FOLDER, [written.id]);
    expect(stored.manifest!.version).toBe(3);
    expect(await named(stored.manifest)).toEqual([kept.id]);
  });

  it('drops what was trashed: the manifest names only the children still listed', async () => {
    const kept = child();
    const trashed = child();
    const stored = server([kept], await signed(7, [kept, trashed]));
    await signer().resign(FOLDER);
    expect(await named(stored.manifest)).toEqual([kept.id]);
  });

  it('signs nothing over an older manifest than this device has seen, nor over a manifest it cannot check', async () => {
    const children = [child()];
    const seen = seenVersionsInMemory();
    await seen.remember('folder', FOLDER, 9);
    const older = server(children, await signed(4, children));
    await expect(signer(seen).resign(FOLDER, [])).rejects.toThrow(
      "This folder's signed list of contents was not updated. The server showed an older state of this folder (version 4; this device has seen 9).",
    );
    expect(older.puts).toEqual([]);
    const forged = server(children, { ...(await signed(10, children)), version: 11 });
    await expect(signer(seen).resign(FOLDER, [])).rejects.toThrow(/not updated.*could not be checked.*does not verify/);
    expect(forged.puts).toEqual([]);
  });

  it("as the owner, holds a manifest by an editor it removed to the key it pinned for them, as any writer's", async () => {
    const theirs = child();
    const rewritten = child();
    const planted = child();
    const byEditor = { id: EDITOR, keys: editor };
    const stored = server([theirs, rewritten, planted], await signed(6, [theirs, rewritten], byEditor));
    await signer().resign(FOLDER, [rewritten.id]);
    expect(stored.manifest!.version).toBe(7);
    expect(await named(stored.manifest)).toEqual([theirs.id, rewritten.id].sort());
    const seen = seenVersionsInMemory();
    await seen.remember('folder', FOLDER, 9);
    const older = server([theirs], await signed(8, [theirs], byEditor));
    await expect(signer(seen).resign(FOLDER, [])).rejects.toThrow(/not updated.*older state.*version 8.*seen 9/);
    expect(older.puts).toEqual([]);
  });

  it("over a removed editor's manifest that does not verify, vouches only for what it wrote, and only on a device that saw no version", async () => {
    const theirs = child();
    const rewritten = child();
    const byEditor = { id: EDITOR, keys: editor };
    const forged = { ...(await signed(6, [theirs, rewritten], byEditor)), version: 7 };
    const stored = server([theirs, rewritten], forged);
    await signer().resign(FOLDER, [rewritten.id]);
    expect(stored.manifest!.version).toBe(8);
    expect(await named(stored.manifest)).toEqual([rewritten.id]);
    const unpinned = await signed(6, [theirs, rewritten], { id: STRANGER, keys: stranger });
    const seen = seenVersionsInMemory();
    await seen.remember('folder', FOLDER, 5);
    for (const manifest of [forged, unpinned]) {
      const remembered = server([theirs, rewritten], manifest);
      await expect(signer(seen).resign(FOLDER, [rewritten.id])).rejects.toThrow(/not updated.*could not be checked/);
      expect(remembered.puts).toEqual([]);
    }
  });

  it('makes no first manifest for a folder with a child that failed to open, and none as a non-writer', async () => {
    const broken = child();
    const unsigned = server([child(), broken], null);
    await expect(signer(undefined, undefined, [broken.id]).resign(FOLDER, [])).rejects.toThrow(
      "This folder's signed list of contents was not made: some of its items failed the integrity check.",
    );
    await signer(undefined, { id: EDITOR, keys: editor }).resign(FOLDER, []);
    expect(unsigned.puts).toEqual([]);
    expect(unsigned.listings).toBe(1);
  });

  it('signs again from what another writer left when it lost the race for the version', async () => {
    const first = child();
    const theirs = child();
    const mine = child();
    const stored = server([first, theirs, mine], await signed(1, [first]));
    const racing = signer();
    const listed = stored.manifest;
    vi.stubGlobal(
      'fetch',
      ((original: typeof fetch) => async (path: string, init: RequestInit) => {
        if (init.method === 'PUT' && stored.manifest === listed) stored.manifest = await signed(2, [first, theirs]);
        return original(path, init);
      })(globalThis.fetch),
    );
    await racing.resign(FOLDER, [mine.id]);
    expect(stored.puts.map(({ version }) => version)).toEqual([2, 3]);
    expect(await named(stored.manifest)).toEqual([first, theirs, mine].map(({ id }) => id).sort());
  });

  it('joins the writes made while it signs into one more signature, not one each', async () => {
    const children = [child(), child(), child()];
    const stored = server(children, await signed(1, []));
    const resigning = signer();
    const [first, ...rest] = children.map((record) => record.id);
    const signing = resigning.resign(FOLDER, [first!]);
    await vi.waitFor(() => expect(stored.listings).toBe(1));
    await Promise.all([signing, ...rest.map((id) => resigning.resign(FOLDER, [id]))]);
    expect(stored.puts.map(({ version }) => version)).toEqual([2, 3]);
    expect(await named(stored.manifest)).toEqual(children.map(({ id }) => id).sort());
  });

  it('vouches for a write it signed only in the state it signed, and forgets it once named', async () => {
    const renamed = child();
    const swapped = { ...renamed, encryptedMetadata: random(153) };
    const stored = server([swapped], await signed(1, []));
    const pending = pendingWritesInMemory();
    const resigning = signer(undefined, undefined, [], pending);
    await resigning.journal(statementOf(renamed));
    await resigning.resign(FOLDER, [renamed.id]);
    expect(await named(stored.manifest)).toEqual([]);
    expect(await pending.of(FOLDER)).toEqual([await entryOf(renamed)]);
    stored.records = [renamed];
    await resigning.resign(FOLDER, [renamed.id]);
    expect(await named(stored.manifest)).toEqual([renamed.id]);
    expect(await pending.of(FOLDER)).toEqual([]);
  });
});

describe('a removal or a key rotation, against a server that keeps listing what left the folder', () => {
  it('never names a child it just trashed or moved away, though the server still lists it as it was', async () => {
    const kept = child();
    const trashed = child();
    const movedAway = child('folder');
    const stored = server([kept, trashed, movedAway], await signed(2, [kept, trashed, movedAway]));
    const resigning = signer();
    await resigning.resign(FOLDER, [], { removed: [trashed.id] });
    await resigning.resign(FOLDER, [], { removed: [movedAway.id.toUpperCase()] });
    expect(await named(stored.manifest)).toEqual([kept.id]);
  });

  it('forgets a pending write of a child it took out, so that the next visit does not vouch for it again', async () => {
    const renamed = child();
    server([renamed], await signed(1, []));
    const pending = pendingWritesInMemory();
    const resigning = signer(undefined, undefined, [], pending);
    await resigning.journal(statementOf(renamed));
    await resigning.resign(FOLDER, [], { removed: [renamed.id] });
    expect(await pending.of(FOLDER)).toEqual([]);
    expect(await resigning.resignPending(FOLDER, [renamed])).toBe(false);
  });

  it.each([
    ['the owner', { id: OWNER, keys: owner }],
    ['an editor removed since', { id: EDITOR, keys: editor }],
  ])(
    'after a rotation vouches only for the children the manifest %s signed named live, not a trashed one',
    async (_, by) => {
      const live = child('folder');
      const trashed = child('folder');
      const file = child();
      const stored = server([live, trashed, file], await signed(1, [live, file], by));
      // The rotation wrote both subfolders' metadata anew; the server lists the trashed one as live.
      const rotated = [live, trashed].map((record) => ({ ...record, encryptedMetadata: random(153) }));
      stored.records = [...rotated, file];
      const resigning = signer();
      const rotationRing = {
        keyOf: () => undefined,
        replaceKeys: () => undefined,
        folderChanged: (folderId: string | null, wrote: string[] = [], change = {}) =>
          folderId === FOLDER ? resigning.resign(folderId, wrote, change) : Promise.resolve(),
      } as unknown as Parameters<typeof resignRotated>[0];
      const top = { id: FOLDER, parentId: null, kind: 'folder' } as NodeRecord;
      const plan = {
        folders: [top, ...rotated],
        files: [file],
        uploads: [],
        shares: [],
      } as unknown as RekeyPlanResponse;
      await resignRotated(rotationRing, plan);
      expect(await named(stored.manifest)).toEqual([live.id, file.id].sort());
    },
  );
});

describe('a write whose re-sign was lost', () => {
  /** The folder as the folder view lists it, through a key ring wired to the signer as the app's drive wires it. */
  function folderView(pending: PendingWrites) {
    const seen = seenVersionsInMemory();
    const resigning = signer(seen, undefined, [], pending);
    const viewRing = Object.assign(ring(), {
      folderChanged: (folderId: string, wrote: string[] = []) => resigning.resign(folderId, wrote),
      resignPending: (folderId: string, refused: readonly NodeRecord[]) => resigning.resignPending(folderId, refused),
    }) as KeyRing;
    return async () => {
      const { opened, refused, warnings } = await listChildren(viewRing, FOLDER, rules, seen);
      return { shown: opened.map(({ id }) => id).sort(), refused: refused.map(({ nodeId }) => nodeId), warnings };
    };
  }

  it('is re-signed at the next visit in the state this device signed, and nothing else is', async () => {
    const kept = child();
    const before = child();
    const renamed = { ...before, encryptedMetadata: random(153) };
    const planted = child();
    const stored = server([kept, renamed, planted], await signed(3, [kept, before]));
    const pending = pendingWritesInMemory();
    await pending.add(FOLDER, await entryOf(renamed));
    const visit = folderView(pending);
    expect(await visit()).toEqual({ shown: [kept.id, renamed.id].sort(), refused: [planted.id], warnings: [] });
    expect(stored.manifest!.version).toBe(4);
    expect(await named(stored.manifest)).toEqual([kept.id, renamed.id].sort());
    expect(await pending.of(FOLDER)).toEqual([]);
  });

  it('leaves refused a child listed in another state than this device signed, and signs nothing for it', async () => {
    const before = child();
    const signedRename = { ...before, encryptedMetadata: random(153) };
    const otherState = { ...before, encryptedMetadata: random(153) };
    const stored = server([otherState], await signed(3, [before]));
    const pending = pendingWritesInMemory();
    await pending.add(FOLDER, await entryOf(signedRename));
    expect(await folderView(pending)()).toEqual({ shown: [], refused: [before.id], warnings: [] });
    expect(stored.puts).toEqual([]);
  });

  it('leaves refused a child this account wrote and signed there, then removed, when the server lists it again', async () => {
    const kept = child();
    const removed = child();
    const signedByOwner = {
      ...removed,
      authorId: OWNER,
      authorSignature: await signAuthorship({ ...statementOf(removed), action: 'create' }, owner.signing.privateKey),
    };
    const stored = server([kept, signedByOwner], await signed(5, [kept]));
    expect(await folderView(pendingWritesInMemory())()).toEqual({
      shown: [kept.id],
      refused: [removed.id],
      warnings: [],
    });
    expect(stored.puts).toEqual([]);
  });
});
