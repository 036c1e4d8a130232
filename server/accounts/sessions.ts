/** The account's sessions: listed, one revoked, this one ended, or all of them ended at once. */
import { and, count, desc, eq, isNull } from 'drizzle-orm';
import type { SessionsResponse } from '../../shared/api/responses.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { sessions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { liveSession } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';

/** Live sessions, last seen first; `currentSessionId` is this request's. */
export async function listSessions(
  { db, now }: ServerDeps,
  actor: Actor,
  currentSessionId: string,
): Promise<SessionsResponse> {
  const rows = await db
    .select({ id: sessions.id, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt })
    .from(sessions)
    .where(and(accountRows.sessions(actor), liveSession(now())))
    .orderBy(desc(sessions.lastSeenAt));
  return {
    sessions: rows.map((row) => ({
      id: row.id,
      current: row.id === currentSessionId,
      createdAt: row.createdAt.toISOString(),
      lastSeenAt: row.lastSeenAt.toISOString(),
    })),
  };
}

export async function revokeSession(
  { db, now }: ServerDeps,
  actor: Actor,
  sessionId: string,
  origin: RequestOrigin,
): Promise<void> {
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: now() })
    .where(and(eq(sessions.id, sessionId), accountRows.sessions(actor), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  if (revoked.length === 0) throw new ApiError(404, 'NOT_FOUND', 'no such session');
  await audit(db, { type: 'session-revoked', userId: actor.userId, origin, at: now() });
}

/** Ends the session of this request. */
export async function signOut({ db, now }: ServerDeps, actor: Actor, sessionId: string, origin: RequestOrigin) {
  await db.update(sessions).set({ revokedAt: now() }).where(eq(sessions.id, sessionId));
  await audit(db, { type: 'sign-out', userId: actor.userId, origin, at: now() });
}

export async function signOutEverywhere({ db, now }: ServerDeps, actor: Actor, origin: RequestOrigin): Promise<void> {
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(sessions)
    .where(and(accountRows.sessions(actor), isNull(sessions.revokedAt)));
  await db
    .update(sessions)
    .set({ revokedAt: now() })
    .where(and(accountRows.sessions(actor), isNull(sessions.revokedAt)));
  await audit(db, { type: 'sign-out-everywhere', userId: actor.userId, origin, at: now(), details: { sessions: n } });
}
