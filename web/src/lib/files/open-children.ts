/**
 * Opens children of one folder under that folder's key, setting apart the ones that fail their integrity check. The
 * node opener's workers run it (node-opener-worker.ts), off the page's thread.
 */
import { nodeKeyUnwrapper } from '$shared/crypto/index.ts';
import type { NodeRecord } from './node-records.ts';
import { openRecord, TamperedNodeError, type OpenedRecord } from './open-record.ts';

export async function openChildren(
  ownerId: string,
  parentKey: Uint8Array,
  records: NodeRecord[],
): Promise<{ opened: OpenedRecord[]; refused: TamperedNodeError[] }> {
  const unwrap = await nodeKeyUnwrapper(parentKey);
  const results = await Promise.all(
    records.map((record) =>
      openRecord(ownerId, unwrap, record).catch((error: unknown) => {
        if (!(error instanceof TamperedNodeError)) throw error;
        return error;
      }),
    ),
  );
  return {
    opened: results.filter((result): result is OpenedRecord => !(result instanceof TamperedNodeError)),
    refused: results.filter((result) => result instanceof TamperedNodeError),
  };
}
