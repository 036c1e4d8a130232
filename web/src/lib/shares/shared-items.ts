/**
 * What the owner has shared, item by item, for the dashboard's "Shared by me": each opened node with the shares that
 * reach it, in the order of its newest share. A share whose node did not open (it failed its checks, or the server
 * left it out, or it is not in the owner's own tree) counts its node as refused, once, and is never shown.
 */
import type { ShareRecord } from '$shared/api/responses.ts';
import type { OpenNode } from '../files/node-records.ts';

export interface SharedItem {
  node: OpenNode;
  shares: ShareRecord[];
}

export function sharedItems(
  shares: readonly ShareRecord[],
  opened: readonly OpenNode[],
  ownerId: string,
): { items: SharedItem[]; refused: number } {
  const nodes = new Map(opened.filter((node) => node.ownerId === ownerId).map((node) => [node.id, node]));
  const items = new Map<string, SharedItem>();
  const refused = new Set<string>();
  for (const share of shares) {
    const node = nodes.get(share.nodeId);
    if (!node) {
      refused.add(share.nodeId);
      continue;
    }
    const item = items.get(node.id) ?? { node, shares: [] };
    item.shares.push(share);
    items.set(node.id, item);
  }
  return { items: [...items.values()], refused: refused.size };
}
