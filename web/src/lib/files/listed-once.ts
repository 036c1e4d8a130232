/**
 * An id names one node, so a listing names it once. A server that lists one id twice (its current record and an
 * older one) could have the older opened and then checked against the newer's signature or manifest entry: every
 * copy of such an id is refused, and each node is checked against the one record it was opened from.
 */
import type { NodeRecord } from './node-records.ts';
import { TamperedNodeError } from './open-record.ts';

export const LISTED_TWICE = 'the server listed it more than once';

/** The records whose id the listing names once, and a refusal for every copy of an id it names more than once. */
export function listedOnce(records: readonly NodeRecord[]): { once: NodeRecord[]; refused: TamperedNodeError[] } {
  const counts = new Map<unknown, number>();
  for (const record of records) counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
  const once = records.filter((record) => counts.get(record.id) === 1);
  const refused = records
    .filter((record) => counts.get(record.id) !== 1)
    .map((record) => new TamperedNodeError(record.id, LISTED_TWICE));
  return { once, refused };
}

/** Each record by its id, for the ids the listing names once: the record a node with that id was opened from. */
export function recordsById(records: readonly NodeRecord[]): Map<string, NodeRecord> {
  return new Map(listedOnce(records).once.map((record) => [record.id, record]));
}
