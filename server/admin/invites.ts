/** Invites: one-time sign-up links made by an admin (or the operator's shell), listed and revoked. */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { NewInvite } from '../../shared/api/admin-schemas.ts';
import type { InviteRecord, InvitesResponse, NewInviteResponse } from '../../shared/api/responses.ts';
import { newInviteSchema } from '../../shared/api/admin-schemas.ts';
import { invites } from '../db/schema.ts';
import { hashSessionToken, newToken } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { auditAdmin, type AdminCaller } from './admin-audit.ts';
import type { AdminDeps } from './registration.ts';

/** The token is in the fragment: browsers never send it, so no proxy's access log holds it. */
export function inviteLink(publicOrigin: string, token: string): string {
  return `${publicOrigin}/signup#invite=${token}`;
}

/** A new invite; its token is in the answer only, the database keeps its hash. */
export async function createInvite(
  { db, now }: AdminDeps,
  caller: AdminCaller,
  request: NewInvite,
  publicOrigin: string,
): Promise<NewInviteResponse> {
  const { expiresInHours, quotaBytes } = newInviteSchema.parse(request);
  // Unpadded, so that the link carries it as it is.
  const token = newToken().replace(/=+$/, '');
  const id = crypto.randomUUID();
  const createdAt = now();
  const expiresAt = new Date(createdAt.getTime() + expiresInHours * 60 * 60 * 1000);
  await db.transaction(async (tx) => {
    await tx.insert(invites).values({
      id,
      tokenHash: await hashSessionToken(token),
      quotaBytes: quotaBytes ?? null,
      createdBy: caller.userId,
      createdAt,
      expiresAt,
    });
    await auditAdmin(tx, caller, 'admin-invite-created', { inviteId: id });
  });
  return {
    invite: inviteRecord({ id, quotaBytes: quotaBytes ?? null, createdAt, expiresAt, usedAt: null, revokedAt: null }),
    token,
    link: inviteLink(publicOrigin, token),
  };
}

function inviteRecord(row: {
  id: string;
  quotaBytes: number | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}): InviteRecord {
  return {
    id: row.id,
    quotaBytes: row.quotaBytes,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    usedAt: row.usedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export async function listInvites({ db }: AdminDeps): Promise<InvitesResponse> {
  const rows = await db.select().from(invites).orderBy(desc(invites.createdAt), invites.id);
  return { invites: rows.map(inviteRecord) };
}

export async function revokeInvite({ db, now }: AdminDeps, caller: AdminCaller, inviteId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const revoked = await tx
      .update(invites)
      .set({ revokedAt: now() })
      .where(and(eq(invites.id, inviteId), isNull(invites.usedAt), isNull(invites.revokedAt)))
      .returning({ id: invites.id });
    if (revoked.length === 0) throw new ApiError(404, 'NOT_FOUND', `no unused invite ${inviteId}`);
    await auditAdmin(tx, caller, 'admin-invite-revoked', { inviteId });
  });
}
