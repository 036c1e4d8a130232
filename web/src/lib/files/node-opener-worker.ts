/**
 * Opens the children of a folder off the page's thread. Each child takes eight WebCrypto calls and the parsing around
 * them, and a large folder kept the page's main thread busy for longer than opening a folder may take
 * when they ran there (docs/BENCHMARKS.md, "Opening a folder"). The worker gets the folder's key for one request and keeps nothing between requests.
 */
import type { OpenChildrenReply, OpenChildrenRequest } from './node-opener-protocol.ts';
import { openChildren } from './open-children.ts';

const reply = (message: OpenChildrenReply) => self.postMessage(message);

self.onmessage = async (event: MessageEvent<OpenChildrenRequest>) => {
  const { id, ownerId, parentKey, records } = event.data;
  try {
    const { opened, refused } = await openChildren(ownerId, parentKey, records);
    reply({ id, opened, refused: refused.map(({ nodeId, reason }) => ({ nodeId, reason })) });
  } catch (error) {
    reply({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
