/**
 * Editor rosters (docs/FORMAT.md section 5.4): the latest list of a shared folder's editors and their signing keys
 * that its owner signed, listed to the members with the children they open through the share. The server cannot
 * check the signature's meaning, only that each new roster is the next version and comes from the folder's owner.
 */
import { and, eq } from 'drizzle-orm';
import type { EditorRosterResponse } from '../../shared/api/responses.ts';
import type { PutEditorRosterRequest } from '../../shared/api/schemas.ts';
import type { EditorRoster } from '../../shared/crypto/index.ts';
import { authorizeNode, type Actor, type Scope } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { editorRosters } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';

type RosterRow = typeof editorRosters.$inferSelect;

const rosterJson = (row: RosterRow): EditorRoster => ({
  version: row.version,
  editors: row.editors,
  signature: row.signature,
});

async function storedRoster(db: Queryable, folderId: string): Promise<EditorRoster | null> {
  const [row] = await db.select().from(editorRosters).where(eq(editorRosters.folderId, folderId));
  return row ? rosterJson(row) : null;
}

/** The roster a member checks its listings with: that of the folder its share was given on. The owner needs none. */
export function rosterOfScope(db: Queryable, scope: Scope): Promise<EditorRoster | null> {
  return scope.share ? storedRoster(db, scope.share.nodeId) : Promise.resolve(null);
}

/** A folder's latest roster, for anyone who may read the folder. */
export async function readRoster({ db }: ServerDeps, actor: Actor, folderId: string): Promise<EditorRosterResponse> {
  const { node: folder } = await authorizeNode(db, actor, folderId, 'read');
  return { folderId: folder.id, roster: await storedRoster(db, folder.id) };
}

/** Stores the owner's roster of one of its folders, if it is the version after the stored one. */
export async function writeRoster(
  { db, now }: ServerDeps,
  actor: Actor,
  folderId: string,
  request: PutEditorRosterRequest,
): Promise<EditorRosterResponse> {
  const { node: folder } = await authorizeNode(db, actor, folderId, 'manage');
  if (folder.kind !== 'folder') {
    throw new ApiError(409, 'NOT_A_FOLDER', `node ${folder.id} is a file; only folders have editor rosters`);
  }
  const values = { version: request.version, editors: request.editors, signature: request.signature, updatedAt: now() };
  const [row] =
    request.version === 1
      ? await db
          .insert(editorRosters)
          .values({ folderId: folder.id, ...values })
          .onConflictDoNothing()
          .returning()
      : await db
          .update(editorRosters)
          .set(values)
          .where(and(eq(editorRosters.folderId, folder.id), eq(editorRosters.version, request.version - 1)))
          .returning();
  if (!row) {
    const stored = await storedRoster(db, folder.id);
    throw new ApiError(
      409,
      'EDITOR_ROSTER_STALE',
      `folder ${folder.id}'s editor roster is at version ${stored?.version ?? 0}, so the next is version ${(stored?.version ?? 0) + 1}; got version ${request.version}. Read the roster again and sign the next version`,
    );
  }
  return { folderId: folder.id, roster: rosterJson(row) };
}
