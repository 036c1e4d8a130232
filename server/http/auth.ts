/**
 * Who is asking: the session cookie holds a random token, and the database holds only its SHA-256, so a leaked
 * database cannot be replayed as sessions. Sessions slide: each use pushes the expiry out again, at most once a minute.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import type { Database } from '../db/database.ts';
import { sessions, users } from '../db/schema.ts';
import { ApiError } from './errors.ts';

export const SESSION_COOKIE = 'coffer_session';
/** A session unused this long ends. */
export const SESSION_IDLE_MS = 14 * 24 * 60 * 60 * 1000;
/** Sliding the expiry is a write; once a minute is precise enough. */
const SLIDE_EVERY_MS = 60 * 1000;

export interface AuthUser {
  id: string;
  role: 'user' | 'admin';
  quotaBytes: number;
}

export type AuthEnv = {
  Variables: { user: AuthUser; sessionId: string; requestId: string; clientAddress: string };
};

export async function hashSessionToken(token: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
}

/** A new random token: 32 bytes, base64url. */
export function newToken(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Starts a session for the user and sets its cookie: HttpOnly, SameSite=Strict, Secure when served over HTTPS. */
export async function startSession(db: Database, c: Context, userId: string, now: Date): Promise<void> {
  const token = newToken();
  await db.insert(sessions).values({
    tokenHash: await hashSessionToken(token),
    userId,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
  });
  setCookie(c, SESSION_COOKIE, token, cookieOptions(c, SESSION_IDLE_MS));
}

export function endSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c, 0));
}

export function cookieOptions(c: Context, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: 'Strict' as const,
    secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** The session token's hash, if the request carries one. */
export async function sessionTokenHash(c: Context): Promise<Uint8Array | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  return token ? hashSessionToken(token) : undefined;
}

export function requireUser(db: Database, now: () => Date) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const tokenHash = await sessionTokenHash(c);
    if (!tokenHash) throw new ApiError(401, 'UNAUTHENTICATED', 'sign in first: this request has no session');
    const at = now();
    const [row] = await db
      .select({
        id: users.id,
        role: users.role,
        quotaBytes: users.quotaBytes,
        sessionId: sessions.id,
        lastSeenAt: sessions.lastSeenAt,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.tokenHash, tokenHash),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, at),
          isNull(users.disabledAt),
        ),
      );
    if (!row) throw new ApiError(401, 'UNAUTHENTICATED', 'the session has expired or was signed out; sign in again');
    if (at.getTime() - row.lastSeenAt.getTime() >= SLIDE_EVERY_MS) {
      await db
        .update(sessions)
        .set({ lastSeenAt: at, expiresAt: new Date(at.getTime() + SESSION_IDLE_MS) })
        .where(eq(sessions.tokenHash, tokenHash));
    }
    c.set('user', { id: row.id, role: row.role, quotaBytes: row.quotaBytes });
    c.set('sessionId', row.sessionId);
    await next();
  });
}
