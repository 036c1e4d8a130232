/**
 * Who is asking: the session cookie holds a random token, and the database holds only its SHA-256, so a leaked
 * database cannot be replayed as sessions. Sessions slide: each use pushes the idle expiry out again, at most once a
 * minute, but never past SESSION_MAX_AGE_MS after the session began, however often it is used.
 */
import { createHash } from 'node:crypto';
import { and, eq, gt, isNotNull, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import type { Database } from '../db/database.ts';
import { sessions, users } from '../db/schema.ts';
import { ApiError } from './errors.ts';

export const SESSION_COOKIE = 'coffer_session';
export const CHALLENGE_COOKIE = 'coffer_challenge';
/** A session unused this long ends. */
export const SESSION_IDLE_MS = 14 * 24 * 60 * 60 * 1000;
/** A session ends this long after it began, used or not: a stolen cookie does not live for ever by being used. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** Sliding the expiry is a write; once a minute is precise enough. */
const SLIDE_EVERY_MS = 60 * 1000;

export interface AuthUser {
  id: string;
  role: 'user' | 'admin';
  quotaBytes: number;
}

/** The session of this request, as the step-up guard and the passkey routes need it. */
export interface SessionInfo {
  id: string;
  /** The passkey that started it; null for a recovery. */
  credentialId: string | null;
  /** The last verified proof with user verification on this session. */
  steppedUpAt: Date | null;
}

/**
 * The cookies' names and Secure flag, decided once from PUBLIC_ORIGIN and never from the request (its URL or an
 * X-Forwarded-Proto header a client can send). Over HTTPS the names take the `__Host-` prefix, which browsers keep
 * only when Secure, without Domain and with Path=/: a sibling subdomain or a plain-HTTP page cannot plant or shadow them.
 */
export interface CookiePolicy {
  secure: boolean;
  session: string;
  challenge: string;
}

export type AuthEnv = {
  Variables: {
    user: AuthUser;
    sessionId: string;
    session: SessionInfo;
    cookiePolicy: CookiePolicy;
    requestId: string;
    clientAddress: string;
  };
};

export function cookiePolicyFor(publicOrigin: string): CookiePolicy {
  const secure = new URL(publicOrigin).protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  return { secure, session: `${prefix}${SESSION_COOKIE}`, challenge: `${prefix}${CHALLENGE_COOKIE}` };
}

/** Puts the cookie policy of PUBLIC_ORIGIN on every request, for the functions below. */
export function useCookiePolicy(publicOrigin: string) {
  const policy = cookiePolicyFor(publicOrigin);
  return createMiddleware<AuthEnv>(async (c, next) => {
    c.set('cookiePolicy', policy);
    await next();
  });
}

export function cookiePolicy(c: Context): CookiePolicy {
  const policy = c.get('cookiePolicy') as CookiePolicy | undefined;
  if (!policy) throw new Error('useCookiePolicy must run before the session and challenge cookies are used');
  return policy;
}

/** node:crypto, not WebCrypto: every request hashes its token, and WebCrypto's digest is a job on the thread pool. */
export async function hashSessionToken(token: string): Promise<Uint8Array> {
  return new Uint8Array(createHash('sha256').update(token).digest());
}

/** A new random token: 32 bytes, base64url. */
export function newToken(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Starts a session for the user and sets its cookie (HttpOnly, SameSite=Strict, Secure over HTTPS). Every way of
 * starting one (a registration or an assertion with user verification, or the recovery code) is a fresh proof, so
 * the session starts stepped up. The cookie lives as long as the session may; the server enforces the idle limit.
 */
export async function startSession(
  db: Database,
  c: Context,
  userId: string,
  now: Date,
  credentialId: string | null,
): Promise<void> {
  const token = newToken();
  await db.insert(sessions).values({
    tokenHash: await hashSessionToken(token),
    userId,
    credentialId,
    createdAt: now,
    lastSeenAt: now,
    steppedUpAt: now,
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
  });
  setCookie(c, cookiePolicy(c).session, token, cookieOptions(c, SESSION_MAX_AGE_MS));
}

export function endSessionCookie(c: Context): void {
  deleteCookie(c, cookiePolicy(c).session, cookieOptions(c, 0));
}

export function cookieOptions(c: Context, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: 'Strict' as const,
    secure: cookiePolicy(c).secure,
    path: '/',
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** The session token's hash, if the request carries one. */
export async function sessionTokenHash(c: Context): Promise<Uint8Array | undefined> {
  const token = getCookie(c, cookiePolicy(c).session);
  return token ? hashSessionToken(token) : undefined;
}

/** The conditions a session row must meet to be in use at `at`: not revoked, not idle too long, not too old. */
export function liveSession(at: Date) {
  return and(
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, at),
    gt(sessions.createdAt, new Date(at.getTime() - SESSION_MAX_AGE_MS)),
  );
}

/**
 * The answer to a disabled account: 403 to its sign-in, 401 to a request with one of its sessions (which its disabling
 * ended), so that the app treats it as signed out and can say why.
 */
export function accountDisabled(status: 401 | 403): ApiError {
  return new ApiError(status, 'ACCOUNT_DISABLED', 'this account is disabled by an admin of this Coffer; ask them');
}

/**
 * Whether the session token was one of a disabled account: its session ended when the account was disabled, and the
 * browser that holds it is told why rather than that it expired.
 */
async function ofDisabledAccount(db: Database, tokenHash: Uint8Array): Promise<boolean> {
  const [row] = await db
    .select({ id: users.id })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), isNotNull(users.disabledAt)));
  return row !== undefined;
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
        credentialId: sessions.credentialId,
        steppedUpAt: sessions.steppedUpAt,
        createdAt: sessions.createdAt,
        lastSeenAt: sessions.lastSeenAt,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, tokenHash), liveSession(at), isNull(users.disabledAt)));
    if (!row) {
      if (await ofDisabledAccount(db, tokenHash)) throw accountDisabled(401);
      throw new ApiError(401, 'UNAUTHENTICATED', 'the session has expired or was signed out; sign in again');
    }
    if (at.getTime() - row.lastSeenAt.getTime() >= SLIDE_EVERY_MS) {
      const idleEnd = at.getTime() + SESSION_IDLE_MS;
      const end = row.createdAt.getTime() + SESSION_MAX_AGE_MS;
      await db
        .update(sessions)
        .set({ lastSeenAt: at, expiresAt: new Date(Math.min(idleEnd, end)) })
        .where(eq(sessions.tokenHash, tokenHash));
    }
    c.set('user', { id: row.id, role: row.role, quotaBytes: row.quotaBytes });
    c.set('sessionId', row.sessionId);
    c.set('session', { id: row.sessionId, credentialId: row.credentialId, steppedUpAt: row.steppedUpAt });
    await next();
  });
}
