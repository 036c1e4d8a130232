import { authorizeRevision, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';

/** A completed revision the actor may read; a revision still uploading is not found, like another owner's. */
export async function readableRevision(db: Queryable, actor: Actor, revisionId: string): Promise<RevisionRow> {
  return (await authorizeRevision(db, actor, revisionId, 'read')).revision;
}
