/** Users made through the data layer: there is no sign-in route yet, and no development sign-in ever ships. */
import type { Database } from '../../server/db/database.ts';
import { sessions, users } from '../../server/db/schema.ts';
import { hashSessionToken, SESSION_COOKIE } from '../../server/http/auth.ts';

export interface SignedInUser {
  id: string;
  /** The Cookie header value that carries the session. */
  cookie: string;
}

export async function createSignedInUser(db: Database, quotaBytes: number, expiresAt: Date): Promise<SignedInUser> {
  const id = crypto.randomUUID();
  const token = crypto.randomUUID();
  await db.insert(users).values({ id, quotaBytes });
  await db.insert(sessions).values({ tokenHash: await hashSessionToken(token), userId: id, expiresAt });
  return { id, cookie: `${SESSION_COOKIE}=${token}` };
}
