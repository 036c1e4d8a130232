/**
 * Opens the children of a folder off the page's thread. Each child takes eight WebCrypto calls and the parsing around
 * them, and a large folder kept the page's main thread busy for longer than opening a folder may take
 * when they ran there (docs/BENCHMARKS.md, "Opening a folder"). The worker gets the folder's key for one request and keeps nothing between requests.
 */
import { nodeKeyUnwrapper } from '$shared/crypto/index.ts';
import type { OpenChildrenReply, OpenChildrenRequest } from './node-opener-protocol.ts';
import { openRecord, TamperedNodeError, type OpenedRecord } from './open-record.ts';

const reply = (message: OpenChildrenReply) => self.postMessage(message);

self.onmessage = async (event: MessageEvent<OpenChildrenRequest>) => {
  const { id, ownerId, parentKey, records } = event.data;
  try {
    const unwrap = await nodeKeyUnwrapper(parentKey);
    const results = await Promise.all(
      records.map((record) =>
        openRecord(ownerId, unwrap, record).catch((error: unknown) => {
          if (!(error instanceof TamperedNodeError)) throw error;
          return error;
        }),
      ),
    );
    reply({
      id,
      opened: results.filter((result): result is OpenedRecord => !(result instanceof TamperedNodeError)),
      refused: results.flatMap((result) =>
        result instanceof TamperedNodeError ? [{ nodeId: result.nodeId, reason: result.reason }] : [],
      ),
    });
  } catch (error) {
    reply({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
