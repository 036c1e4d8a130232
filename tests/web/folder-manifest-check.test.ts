import { describe, expect, it } from 'vitest';
import type { OpenNode, NodeRecord } from '../../web/src/lib/files/node-records.ts';
import {
  checkManifest,
  manifestWarnings,
  type ListedFolder,
} from '../../web/src/lib/integrity/folder-manifest-check.ts';
import { seenVersionsInMemory } from '../../web/src/lib/integrity/seen-versions.ts';
import { child, EDITOR, editor, FOLDER, OWNER, random, rules, signed } from './manifest-fixture.ts';

const listing = (records: NodeRecord[], manifest: ListedFolder['manifest'], seenBefore: number | undefined) => ({
  folder: { id: FOLDER, ownerId: OWNER, records, manifest, seenBefore },
  opened: { opened: records.map((record) => ({ id: record.id }) as OpenNode), refused: [] },
});

async function check(records: NodeRecord[], manifest: ListedFolder['manifest'], seen = seenVersionsInMemory()) {
  const { folder, opened } = listing(records, manifest, await seen.highest('folder', FOLDER));
  const findings = await checkManifest(folder, opened, rules, seen);
  return { ...findings, shown: findings.opened.map(({ id }) => id), warnings: manifestWarnings(findings) };
}

describe("a folder's manifest, checked against its listing", () => {
  it('shows a folder with no manifest yet as listed, and one whose manifest names its children exactly', async () => {
    const children = [child(), child('folder')];
    const seen = seenVersionsInMemory();
    expect(await check(children, null, seen)).toMatchObject({ shown: children.map(({ id }) => id), warnings: [] });
    const checked = await check(children, await signed(3, children), seen);
    expect(checked).toMatchObject({ shown: children.map(({ id }) => id), refused: [], warnings: [] });
    expect(await seen.highest('folder', FOLDER)).toBe(3);
  });

  it('warns when the server shows an older version, or none, than this device has seen', async () => {
    const before = [child()];
    const after = [...before, child()];
    const seen = seenVersionsInMemory();
    const replayed = await signed(4, before);
    await check(after, await signed(6, after), seen);
    expect((await check(before, replayed, seen)).warnings).toEqual([
      'The server showed an older state of this folder (version 4; this device has seen 6). Items may be missing or out of date.',
    ]);
    expect((await check(after, null, seen)).warnings[0]).toMatch(/\(no signed version; this device has seen 6\)/);
    expect(await seen.highest('folder', FOLDER)).toBe(6);
  });

  it('counts the children the manifest names that the server did not show', async () => {
    const children = [child(), child(), child('folder')];
    const manifest = await signed(2, children);
    expect((await check(children.slice(1), manifest)).warnings).toEqual([
      'One item this folder should hold was not shown by the server.',
    ]);
    expect((await check([], manifest)).warnings).toEqual([
      '3 items this folder should hold were not shown by the server.',
    ]);
  });

  it('refuses a child the manifest does not name, and one in another state than it names', async () => {
    const children = [child(), child()];
    const manifest = await signed(2, children);
    const planted = child();
    const renamedBack = { ...children[1]!, encryptedMetadata: random(153) };
    const checked = await check([children[0]!, renamedBack, planted], manifest);
    expect(checked.shown).toEqual([children[0]!.id]);
    expect(checked.refused.map(({ nodeId }) => nodeId).sort()).toEqual([renamedBack.id, planted.id].sort());
  });

  it('says it could not check a manifest signed by an account that is not a writer, or altered, and remembers neither', async () => {
    const children = [child()];
    const seen = seenVersionsInMemory();
    const byEditor = await signed(9, children, { id: EDITOR, keys: editor });
    expect((await check(children, byEditor, seen)).warnings[0]).toMatch(/could not be checked: .*not a writer/);
    const altered = { ...(await signed(9, children)), version: 10 };
    expect((await check(children, altered, seen)).warnings[0]).toMatch(/could not be checked: .*does not verify/);
    expect(await seen.highest('folder', FOLDER)).toBeUndefined();
  });
});
