/**
 * Documents an account keeps for itself, sealed on its devices (its contacts and the keys it pinned, issue 25 point 2;
 * the shares it accepted): the server stores one per kind and can neither read nor alter one unseen. A write names the
 * version it was made from, so that a device that read an older one is refused (409) rather than undoing another
 * device's change.
 */
import { and, eq } from 'drizzle-orm';
import type { AccountDocumentResponse } from '../../shared/api/responses.ts';
import {
  ACCOUNT_DOCUMENT_KINDS,
  type AccountDocumentKind,
  type PutAccountDocumentRequest,
} from '../../shared/api/schemas.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { accountDocuments } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';

export function documentKind(kind: string): AccountDocumentKind {
  if (!(ACCOUNT_DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw new ApiError(
      404,
      'NO_SUCH_DOCUMENT_KIND',
      `no account document of kind ${JSON.stringify(kind.slice(0, 64))}; the kinds are ${ACCOUNT_DOCUMENT_KINDS.join(', ')}`,
    );
  }
  return kind as AccountDocumentKind;
}

export async function readDocument(
  { db }: ServerDeps,
  actor: Actor,
  kind: AccountDocumentKind,
): Promise<AccountDocumentResponse> {
  const [row] = await db
    .select()
    .from(accountDocuments)
    .where(and(accountRows.documents(actor), eq(accountDocuments.kind, kind)));
  return row
    ? { kind, version: row.version, sealed: row.sealed, updatedAt: row.updatedAt.toISOString() }
    : { kind, version: 0, sealed: null, updatedAt: null };
}

export async function writeDocument(
  deps: ServerDeps,
  actor: Actor,
  kind: AccountDocumentKind,
  { version, sealed }: PutAccountDocumentRequest,
): Promise<AccountDocumentResponse> {
  const { db } = deps;
  const updatedAt = deps.now();
  const [row] =
    version === 0
      ? await db
          .insert(accountDocuments)
          .values({ userId: actor.userId, kind, version: 1, sealed, updatedAt })
          .onConflictDoNothing()
          .returning()
      : await db
          .update(accountDocuments)
          .set({ version: version + 1, sealed, updatedAt })
          .where(
            and(accountRows.documents(actor), eq(accountDocuments.kind, kind), eq(accountDocuments.version, version)),
          )
          .returning();
  if (!row) {
    const current = await readDocument(deps, actor, kind);
    throw new ApiError(
      409,
      'DOCUMENT_CHANGED',
      `the ${kind} document is at version ${current.version}, the write was made from version ${version}; read it again and redo the change`,
    );
  }
  return { kind, version: row.version, sealed: row.sealed, updatedAt: row.updatedAt.toISOString() };
}
