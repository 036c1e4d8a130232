/**
 * Folder manifests (docs/FORMAT.md section 5.3): the latest one each folder's writers signed, listed with its
 * children. The server cannot check a signature's meaning, only that each new manifest is the next version, so that
 * two writers who changed a folder at once never both sign the same version: the second is refused (409) and signs
 * again from what the first left.
 */
import { and, eq } from 'drizzle-orm';
import type { FolderManifestResponse } from '../../shared/api/responses.ts';
import type { PutFolderManifestRequest } from '../../shared/api/schemas.ts';
import type { FolderManifest } from '../../shared/crypto/index.ts';
import { authorizeNode, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { folderManifests } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';

type ManifestRow = typeof folderManifests.$inferSelect;

const manifestJson = (row: ManifestRow): FolderManifest => ({
  version: row.version,
  writerId: row.writerId,
  children: row.children,
  signature: row.signature,
});

/** A folder's stored manifest, or null when no writer has signed one yet. */
export async function storedManifest(db: Queryable, folderId: string): Promise<FolderManifest | null> {
  const [row] = await db.select().from(folderManifests).where(eq(folderManifests.folderId, folderId));
  return row ? manifestJson(row) : null;
}

/** Stores the actor's manifest of a folder it may write to, if it is the version after the stored one. */
export async function writeManifest(
  { db, now }: ServerDeps,
  actor: Actor,
  folderId: string,
  request: PutFolderManifestRequest,
): Promise<FolderManifestResponse> {
  const { node: folder } = await authorizeNode(db, actor, folderId, 'write');
  if (folder.kind !== 'folder') {
    throw new ApiError(409, 'NOT_A_FOLDER', `node ${folder.id} is a file; only folders have manifests`);
  }
  const values = {
    version: request.version,
    writerId: actor.userId,
    children: request.children.map(({ id, digest }) => ({ id: id.toLowerCase(), digest })),
    signature: request.signature,
    updatedAt: now(),
  };
  const [row] =
    request.version === 1
      ? await db
          .insert(folderManifests)
          .values({ folderId: folder.id, ...values })
          .onConflictDoNothing()
          .returning()
      : await db
          .update(folderManifests)
          .set(values)
          .where(and(eq(folderManifests.folderId, folder.id), eq(folderManifests.version, request.version - 1)))
          .returning();
  if (!row) {
    const stored = await storedManifest(db, folder.id);
    throw new ApiError(
      409,
      'FOLDER_MANIFEST_STALE',
      `folder ${folder.id}'s manifest is at version ${stored?.version ?? 0}, so the next is version ${(stored?.version ?? 0) + 1}; got version ${request.version}. List the folder again and sign its manifest from what it holds now`,
    );
  }
  return { folderId: folder.id, manifest: manifestJson(row) };
}
