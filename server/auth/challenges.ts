/**
 * WebAuthn challenges: random, single-use, expiring after CHALLENGE_TTL_MS, and bound to whoever asked for them (the
 * hash of a challenge cookie before sign-in, of the session token after). They live in the database, so any server
 * instance can check one that another issued.
 */
import { and, eq, isNull, lt, or, isNotNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import type { Database } from '../db/database.ts';
import { authChallenges } from '../db/schema.ts';
import { cookieOptions, cookiePolicy, hashSessionToken, newToken, sessionTokenHash } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';

export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
export type ChallengePurpose = 'sign-up' | 'sign-in' | 'add-passkey' | 'step-up';

/**
 * Who is asking, as a hash: the session token when there is one, else the challenge cookie (made here when missing,
 * so a browser without a session keeps one for the length of a sign-in).
 */
async function requesterHash(c: Context, create: boolean): Promise<Uint8Array | undefined> {
  const session = await sessionTokenHash(c);
  if (session) return session;
  const name = cookiePolicy(c).challenge;
  let token = getCookie(c, name);
  if (!token && create) {
    token = newToken();
    setCookie(c, name, token, cookieOptions(c, CHALLENGE_TTL_MS));
  }
  return token ? hashSessionToken(token) : undefined;
}

export async function issueChallenge(
  db: Database,
  c: Context,
  purpose: ChallengePurpose,
  now: Date,
  userId: string | null = null,
): Promise<string> {
  const challenge = encodeBase64url(crypto.getRandomValues(new Uint8Array(32)), { padding: false });
  // Expired and used challenges are of no further use; clearing them here keeps the table small without a job.
  await db.delete(authChallenges).where(or(lt(authChallenges.expiresAt, now), isNotNull(authChallenges.usedAt)));
  await db.insert(authChallenges).values({
    challenge,
    purpose,
    userId,
    requesterHash: (await requesterHash(c, true))!,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
  });
  return challenge;
}

/**
 * Takes the challenge the browser signed (from its clientDataJSON) and marks it used, in one statement so that two
 * concurrent uses cannot both succeed. Refuses a challenge that is unknown, used, expired, for another purpose or
 * issued to someone else, each with its own message.
 */
export async function consumeChallenge(
  db: Database,
  c: Context,
  clientDataJSON: string,
  purpose: ChallengePurpose,
  now: Date,
): Promise<{ challenge: string; userId: string | null }> {
  const challenge = challengeOf(clientDataJSON);
  const requester = await requesterHash(c, false);
  const [row] = await db.select().from(authChallenges).where(eq(authChallenges.challenge, challenge));
  if (!row) throw challengeError('was not issued by this server (or was cleared after use)');
  if (row.usedAt) throw challengeError('was already used; ask for a new one');
  if (row.expiresAt <= now)
    throw challengeError(`expired ${Math.round(CHALLENGE_TTL_MS / 60000)} minutes after it was issued`);
  if (row.purpose !== purpose) throw challengeError(`was issued for ${row.purpose}, not ${purpose}`);
  if (!requester || !equalBytes(requester, row.requesterHash))
    throw challengeError('was issued to another browser or session');
  const [taken] = await db
    .update(authChallenges)
    .set({ usedAt: now })
    .where(and(eq(authChallenges.challenge, challenge), isNull(authChallenges.usedAt)))
    .returning({ userId: authChallenges.userId });
  if (!taken) throw challengeError('was already used; ask for a new one');
  return { challenge, userId: taken.userId };
}

function challengeOf(clientDataJSON: string): string {
  try {
    const data = JSON.parse(new TextDecoder().decode(decodeBase64url(clientDataJSON))) as { challenge?: unknown };
    if (typeof data.challenge === 'string' && data.challenge.length <= 128) return data.challenge;
  } catch {
    // Reported below.
  }
  throw new ApiError(400, 'BAD_CLIENT_DATA', 'response.clientDataJSON is not WebAuthn client data with a challenge');
}

function challengeError(why: string): ApiError {
  return new ApiError(400, 'BAD_CHALLENGE', `the signed challenge ${why}`);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
