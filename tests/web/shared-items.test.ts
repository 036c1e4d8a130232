/** The dashboard's "Shared by me": shares grouped by the node they share, and what did not open counted, not shown. */
import { describe, expect, it } from 'vitest';
import type { ShareRecord } from '../../shared/api/responses.ts';
import type { OpenNode } from '../../web/src/lib/files/node-records.ts';
import { sharedItems } from '../../web/src/lib/shares/shared-items.ts';

const ME = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const SOMEONE_ELSE = '7f3a9c20-1b2d-4e5f-8a6b-9c0d1e2f3a4b';

function node(id: string, ownerId = ME): OpenNode {
  return {
    id,
    parentId: 'root',
    ownerId,
    author: null,
    requestLinkId: null,
    kind: 'folder',
    name: `name of ${id}`,
    type: '',
    size: 0,
    modified: 0,
    changed: 0,
    revision: null,
    trashedAt: null,
  };
}

function share(id: string, nodeId: string, recipientHandle: string): ShareRecord {
  return {
    id,
    nodeId,
    kind: 'folder',
    role: 'viewer',
    status: 'pending',
    recipientId: crypto.randomUUID(),
    recipientHandle,
    // What the owner signed is not read here.
    grant: {} as ShareRecord['grant'],
    createdAt: '2026-01-01T00:00:00.000Z',
    acceptedAt: null,
  };
}

describe('sharedItems', () => {
  it('lists each opened node once, in the order of its newest share, with every share of it', () => {
    const shares = [share('s1', 'b', 'carol'), share('s2', 'a', 'bob'), share('s3', 'b', 'dave')];
    const { items, refused } = sharedItems(shares, [node('a'), node('b')], ME);
    expect(items.map((item) => [item.node.id, item.shares.map((one) => one.recipientHandle)])).toEqual([
      ['b', ['carol', 'dave']],
      ['a', ['bob']],
    ]);
    expect(refused).toBe(0);
  });

  it("counts a node that did not open, or is not in the owner's tree, as refused once, and never lists it", () => {
    const shares = [share('s1', 'gone', 'carol'), share('s2', 'gone', 'bob'), share('s3', 'theirs', 'dave')];
    const { items, refused } = sharedItems(shares, [node('theirs', SOMEONE_ELSE)], ME);
    expect(items).toEqual([]);
    expect(refused).toBe(2);
  });
});
