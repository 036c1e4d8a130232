/**
 * Small files in one request each, or many in one: a file whose stream is one chunk is created, filled and completed
 * together, with the checks of the three-step upload (server/routes/uploads.ts). The steps are the same, done for
 * the whole batch at once: one transaction reserves every file (an open upload, as POST /api/uploads makes), the
 * chunks are stored, each synced to disk before it counts as stored, and one transaction publishes them. A crash in
 * between leaves open uploads, which the collector gives up. Each file succeeds or fails on its own, with its own
 * answer.
 */
import { and, eq, inArray, max, or } from 'drizzle-orm';
import type { SmallFileAnswer } from '../../shared/api/responses.ts';
import type { SmallFileRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url, HEADER_BYTES } from '../../shared/crypto/index.ts';
import {
  accountActor,
  authorizeNode,
  inScope,
  nodesIn,
  ownTree,
  requireInForce,
  revisionsIn,
  type Scope,
  scopesOf,
  usableFolder,
} from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { nodes, revisionSegments, revisions, uploads } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthUser } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { nodeIdTaken, nodeIdTakenError } from '../nodes/taken-ids.ts';
import { discardUpload } from './discard-upload.ts';
import { lockQuota, quotaExceeded, quotaHolder } from '../storage/usage.ts';
import { segmentKey } from './segments.ts';
import { readHeaderForFile, streamLayout } from './stream-layout.ts';

/** A file of the batch that passed the checks that need no database. */
interface Checked {
  index: number;
  nodeId: string;
  request: SmallFileRequest;
  header: Uint8Array;
  chunkSize: number;
  revision: number;
  chunk: Uint8Array;
  size: number;
}

/** A file with the tree it goes into: the actor's own, or another's through an editor's share. */
interface Placed extends Checked {
  scope: Scope;
}

/** A file reserved as an open upload of a new revision. */
interface Reserved extends Placed {
  revisionId: string;
  uploadId: string;
}

const ONE_CHUNK = { firstIndex: 0, chunkCount: 1 };

export async function uploadSmallFiles(
  deps: ServerDeps,
  user: AuthUser,
  files: SmallFileRequest[],
): Promise<SmallFileAnswer[]> {
  const results: SmallFileAnswer[] = [];
  const fail = (file: { index: number; nodeId: string }, error: unknown) => {
    if (!(error instanceof ApiError)) throw error;
    results[file.index] = {
      nodeId: file.nodeId,
      status: error.status,
      error: { code: error.code, message: error.message },
    };
  };
  const checked: Checked[] = [];
  const seen = new Set<string>();
  for (const [index, request] of files.entries()) {
    const nodeId = request.nodeId.toLowerCase();
    try {
      if (seen.has(nodeId)) {
        throw new ApiError(400, 'DUPLICATE_FILE', `file ${nodeId} appears more than once in this batch`);
      }
      seen.add(nodeId);
      checked.push(checkFile(index, nodeId, request));
    } catch (error) {
      fail({ index, nodeId }, error);
    }
  }
  const reserved = await reserve(deps, user, checked, fail);
  await storeChunks(deps, reserved);
  for (const file of await publish(deps, user, reserved, fail)) {
    results[file.index] = { nodeId: file.nodeId, status: 201, revisionId: file.revisionId, revision: file.revision };
  }
  return results;
}

function checkFile(index: number, nodeId: string, request: SmallFileRequest): Checked {
  const { header, fields } = readHeaderForFile(request.header, nodeId);
  if (request.newFile && request.encryptedMetadata) {
    throw new ApiError(
      400,
      'VALIDATION',
      `file ${nodeId}: a new file's metadata goes in newFile; encryptedMetadata is for a new revision of a file`,
    );
  }
  const chunk = decodeBase64url(request.chunk);
  const size = HEADER_BYTES + chunk.length;
  streamLayout(fields.chunkSize, size, 1);
  return { index, nodeId, request, header, chunkSize: fields.chunkSize, revision: fields.revision, chunk, size };
}

/**
 * Reserves every file as POST /api/uploads does, in one transaction: the ids, the place (a usable folder, or a file
 * this user may write), the revision's number and the quota, checked file by file in order.
 */
async function reserve(
  deps: ServerDeps,
  user: AuthUser,
  files: Checked[],
  fail: (file: Checked, error: unknown) => void,
): Promise<Reserved[]> {
  if (files.length === 0) return [];
  const actor = accountActor(user);
  const ids = files.map((file) => file.nodeId);
  const targetOf = (file: Checked) => file.request.newFile?.parentId.toLowerCase() ?? file.nodeId;
  const scopes = await scopesOf(deps.db, actor, files.map(targetOf));
  // A place the actor does not reach is refused below, with the answers of its own tree's checks.
  const placed: Placed[] = files.map((file) => ({ ...file, scope: scopes.get(targetOf(file)) ?? ownTree(actor) }));
  const owners = [...new Set(placed.map((file) => file.scope.ownerId))].sort();
  const treeScopes = [...new Map(placed.map((file) => [file.scope.ownerId, file.scope])).values()];
  const expiresAt = new Date(deps.now().getTime() + deps.limits.uploadIdleMs);
  return deps.db.transaction(async (tx) => {
    // Locking each tree's owner serialises uploads into its tree, so the quota checks below cannot race another
    // upload; always in the same order, so that two batches into the same trees cannot deadlock.
    const budgets = new Map<string, { used: number; quotaBytes: number }>();
    for (const ownerId of owners) budgets.set(ownerId, await lockQuota(tx, ownerId));
    const existing = new Map(
      (await tx.select().from(nodes).where(inArray(nodes.id, ids))).map((node) => [node.id, node]),
    );
    const uploadsUnder = await tx
      .selectDistinct({ nodeId: revisions.nodeId, ownerId: revisions.ownerId })
      .from(revisions)
      .where(inArray(revisions.nodeId, ids));
    const othersUpload = (file: Placed) =>
      uploadsUnder.some((row) => row.nodeId === file.nodeId && !inScope(file.scope, row));
    const lastRevisions = new Map(
      (
        await tx
          .select({ nodeId: revisions.nodeId, number: max(revisions.number) })
          .from(revisions)
          .where(and(inArray(revisions.nodeId, ids), or(...treeScopes.map(revisionsIn))))
          .groupBy(revisions.nodeId)
      ).map((row) => [row.nodeId, row.number ?? 0]),
    );
    const folders = new FolderCheck(tx);
    const accepted: Reserved[] = [];
    for (const file of placed) {
      try {
        const { newFile } = file.request;
        if (newFile) {
          const taken = existing.get(file.nodeId);
          if (taken) throw nodeIdTaken(file.nodeId, inScope(file.scope, taken));
          if (othersUpload(file)) throw nodeIdTaken(file.nodeId, false);
          await folders.check(file.scope, newFile.parentId.toLowerCase());
        } else {
          const { node } = await authorizeNode(tx, actor, file.nodeId, 'write');
          if (node.kind !== 'file') throw new ApiError(409, 'NOT_A_FILE', `node ${file.nodeId} is a folder`);
        }
        const nextRevision = (lastRevisions.get(file.nodeId) ?? 0) + 1;
        if (file.revision !== nextRevision) {
          throw new ApiError(
            409,
            'REVISION_CONFLICT',
            `the header names revision ${file.revision}; the next revision of this file is ${nextRevision}`,
          );
        }
        const budget = budgets.get(file.scope.ownerId)!;
        if (budget.used + file.size > budget.quotaBytes)
          throw quotaExceeded(file.size, budget.used, budget.quotaBytes, 'this upload', quotaHolder(file.scope));
        budget.used += file.size;
        accepted.push({ ...file, revisionId: crypto.randomUUID(), uploadId: crypto.randomUUID() });
      } catch (error) {
        fail(file, error);
      }
    }
    if (accepted.length === 0) return [];
    // Another user's upload of a new file may take one of these ids meanwhile: that file alone is refused.
    const inserted = new Set(
      (
        await tx
          .insert(revisions)
          .values(
            accepted.map((file) => ({
              id: file.revisionId,
              nodeId: file.nodeId,
              ownerId: file.scope.ownerId,
              authorId: user.id,
              number: file.revision,
              header: file.header,
              chunkSize: file.chunkSize,
              chunkCount: 1,
              size: file.size,
            })),
          )
          .onConflictDoNothing()
          .returning({ id: revisions.id })
      ).map((row) => row.id),
    );
    const reserved: Reserved[] = [];
    for (const file of accepted) {
      if (inserted.has(file.revisionId)) reserved.push(file);
      else if (file.request.newFile && !existing.has(file.nodeId)) fail(file, nodeIdTaken(file.nodeId, false));
      else
        fail(
          file,
          new ApiError(409, 'REVISION_CONFLICT', `another upload of file ${file.nodeId} started at the same time`),
        );
    }
    if (reserved.length === 0) return [];
    await tx.insert(uploads).values(
      reserved.map((file) => ({
        id: file.uploadId,
        userId: user.id,
        revisionId: file.revisionId,
        nodeId: file.nodeId,
        newNode: file.request.newFile !== undefined,
        parentId: file.request.newFile?.parentId.toLowerCase() ?? null,
        wrappedKey: file.request.newFile?.wrappedKey ?? null,
        encryptedMetadata: file.request.newFile ? decodeBase64url(file.request.newFile.encryptedMetadata) : null,
        authorSignature: file.request.newFile?.authorSignature ?? null,
        expiresAt,
      })),
    );
    return reserved;
  });
}

/**
 * Stores each file's chunk as its one segment, durable at once: a put that syncs its own small file runs in parallel
 * with the others, where makeDurable after puts that are not durable waits for their syncs one at a time, an order
 * made for large segments (docs/BENCHMARKS.md, "Many small files").
 */
async function storeChunks(deps: ServerDeps, files: Reserved[]): Promise<void> {
  await Promise.all(
    files.map((file) =>
      deps.blobs.put(segmentKey(file.revisionId, ONE_CHUNK), file.chunk, file.chunk.length, { durable: true }),
    ),
  );
}

/**
 * Publishes the stored files, as POST /api/uploads/:id/complete does: a new file's folder is checked again and its
 * node made; an existing file's node points at the new revision. A file that fails here is discarded.
 */
async function publish(
  deps: ServerDeps,
  user: AuthUser,
  files: Reserved[],
  fail: (file: Reserved, error: unknown) => void,
): Promise<Reserved[]> {
  if (files.length === 0) return [];
  const refused: Reserved[] = [];
  const published = await deps.db.transaction(async (tx) => {
    // Locking the uploads makes a completion of one of them through POST /api/uploads/:id/complete wait, then find it
    // complete; one aborted meanwhile is gone. A new file's key is taken as the upload holds it now: a key rotation
    // since the reservation wrapped it again under its folder's new key (server/nodes/rekey.ts).
    const open = new Map(
      (
        await tx
          .select({ id: uploads.id, completedAt: uploads.completedAt, wrappedKey: uploads.wrappedKey })
          .from(uploads)
          .where(
            inArray(
              uploads.id,
              files.map((file) => file.uploadId),
            ),
          )
          .for('update')
      )
        .filter((row) => row.completedAt === null)
        .map((row) => [row.id, row.wrappedKey]),
    );
    // A share revoked since the reservation publishes nothing into its tree.
    const revoked = new Set<Scope>();
    for (const scope of new Set(files.map((file) => file.scope))) {
      await requireInForce(tx, scope).catch((error: unknown) => {
        if (!(error instanceof ApiError)) throw error;
        revoked.add(scope);
      });
    }
    const folders = new FolderCheck(tx);
    const completedAt = deps.now();
    const ready: Reserved[] = [];
    const newFiles: Reserved[] = [];
    for (const file of files) {
      try {
        if (revoked.has(file.scope)) throw new ApiError(404, 'NOT_FOUND', `no node ${file.nodeId}`);
        if (!open.has(file.uploadId)) {
          throw new ApiError(409, 'UPLOAD_ABORTED', `the upload of file ${file.nodeId} was aborted while completing`);
        }
        const { newFile, encryptedMetadata } = file.request;
        if (newFile) {
          await folders.check(file.scope, newFile.parentId.toLowerCase());
          newFiles.push(file);
          continue;
        }
        const updated = await tx
          .update(nodes)
          .set({
            currentRevisionId: file.revisionId,
            updatedAt: completedAt,
            ...(encryptedMetadata
              ? {
                  encryptedMetadata: decodeBase64url(encryptedMetadata),
                  authorId: user.id,
                  authorSignature: file.request.authorSignature ?? null,
                }
              : {}),
          })
          .where(and(eq(nodes.id, file.nodeId), nodesIn(file.scope)))
          .returning({ id: nodes.id });
        if (updated.length === 0)
          throw new ApiError(409, 'NODE_GONE', `file ${file.nodeId} was deleted during the upload`);
        ready.push(file);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        fail(file, error);
        refused.push(file);
      }
    }
    if (newFiles.length > 0) {
      // A node made with one of these ids since the reservation (a folder, or another user's file) took the id first.
      const made = new Set(
        (
          await tx
            .insert(nodes)
            .values(
              newFiles.map((file) => ({
                id: file.nodeId,
                ownerId: file.scope.ownerId,
                authorId: user.id,
                parentId: file.request.newFile!.parentId.toLowerCase(),
                kind: 'file' as const,
                wrappedKey: open.get(file.uploadId) ?? file.request.newFile!.wrappedKey,
                encryptedMetadata: decodeBase64url(file.request.newFile!.encryptedMetadata),
                authorSignature: file.request.newFile!.authorSignature ?? null,
                currentRevisionId: file.revisionId,
              })),
            )
            .onConflictDoNothing()
            .returning({ id: nodes.id })
        ).map((row) => row.id),
      );
      for (const file of newFiles) {
        if (made.has(file.nodeId)) ready.push(file);
        else {
          fail(file, await nodeIdTakenError(tx, file.scope, file.nodeId));
          refused.push(file);
        }
      }
    }
    if (ready.length === 0) return [];
    const revisionIds = ready.map((file) => file.revisionId);
    await tx.update(revisions).set({ completedAt }).where(inArray(revisions.id, revisionIds));
    await tx
      .update(uploads)
      .set({ completedAt })
      .where(
        inArray(
          uploads.id,
          ready.map((file) => file.uploadId),
        ),
      );
    await tx.insert(revisionSegments).values(ready.map((file) => ({ revisionId: file.revisionId, ...ONE_CHUNK })));
    return ready;
  });
  // What was refused stays an open upload otherwise, holding its chunk and its reservation until collected.
  for (const file of refused) await discardUpload(deps, file.revisionId);
  return published;
}

/**
 * Whether something may be put in a folder (usableFolder), asked once per folder within one transaction. A folder is
 * in one tree, so its id alone names the question.
 */
class FolderCheck {
  #answers = new Map<string, Promise<unknown>>();

  constructor(private readonly tx: Queryable) {}

  async check(scope: Scope, folderId: string): Promise<void> {
    let answer = this.#answers.get(folderId);
    if (!answer) {
      answer = usableFolder(this.tx, scope, folderId);
      this.#answers.set(folderId, answer);
    }
    await answer;
  }
}
