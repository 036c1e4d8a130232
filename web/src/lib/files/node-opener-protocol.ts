/** Messages between the key ring and a node opener worker (node-opener-worker.ts). */
import type { NodeRecord } from './node-records.ts';
import type { OpenedRecord } from './open-record.ts';

/** Open these children of one folder, under that folder's key. */
export interface OpenChildrenRequest {
  id: number;
  ownerId: string;
  parentKey: Uint8Array;
  records: NodeRecord[];
}

export type OpenChildrenReply =
  { id: number; opened: OpenedRecord[]; refused: { nodeId: string; reason: string }[] } | { id: number; error: string };
