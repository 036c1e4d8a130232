import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/database.ts';
import { revisionSegments } from '../db/schema.ts';
import type { Segment } from './segments.ts';

/** The segments recorded for a revision, in no particular order. */
export async function loadSegments(db: Queryable, revisionId: string): Promise<Segment[]> {
  return db
    .select({ firstIndex: revisionSegments.firstIndex, chunkCount: revisionSegments.chunkCount })
    .from(revisionSegments)
    .where(eq(revisionSegments.revisionId, revisionId));
}
