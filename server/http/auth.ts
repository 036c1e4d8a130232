/**
 * Who is asking: the session cookie holds a random token, and the database holds only its SHA-256, so a leaked
 * database cannot be replayed as sessions.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Database } from '../db/database.ts';
import { sessions, users } from '../db/schema.ts';
import { ApiError } from './errors.ts';

export const SESSION_COOKIE = 'coffer_session';

export interface AuthUser {
  id: string;
  role: 'user' | 'admin';
  quotaBytes: number;
}

export type AuthEnv = { Variables: { user: AuthUser; requestId: string } };

export async function hashSessionToken(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
}

export function requireUser(db: Database, now: () => Date) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (!token) throw new ApiError(401, 'UNAUTHENTICATED', 'sign in first: this request has no session');
    const [row] = await db
      .select({ id: users.id, role: users.role, quotaBytes: users.quotaBytes })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.tokenHash, await hashSessionToken(token)),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, now()),
          isNull(users.disabledAt),
        ),
      );
    if (!row) throw new ApiError(401, 'UNAUTHENTICATED', 'the session has expired or was signed out; sign in again');
    c.set('user', row);
    await next();
  });
}
