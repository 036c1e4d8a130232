import { and, eq, isNotNull } from 'drizzle-orm';
import { ownTree, revisionsIn, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { revisions } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';

/** A completed revision the actor may read; a revision still uploading is not found, like another owner's. */
export async function readableRevision(db: Queryable, actor: Actor, revisionId: string): Promise<RevisionRow> {
  const [revision] = await db
    .select()
    .from(revisions)
    .where(and(eq(revisions.id, revisionId), revisionsIn(ownTree(actor)), isNotNull(revisions.completedAt)));
  if (!revision) throw new ApiError(404, 'NOT_FOUND', `no revision ${revisionId}`);
  return revision;
}
