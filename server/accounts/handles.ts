/**
 * Handles: the public name an account chooses so that others can find it (issue 25, "Finding people"). A lookup
 * gives the account's id and published keys only; the client pins those keys and checks them against a contact
 * card's fingerprint or the fingerprint words, so the server's answer is never the only authority (threat model row 4).
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { HandleLookupResponse, HandleResponse } from '../../shared/api/responses.ts';
import { HANDLE_RULE, handleSchema } from '../../shared/api/schemas.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { accountRows, type Actor } from '../access/policy.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { publicKeys, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';

export async function setHandle({ db }: ServerDeps, actor: Actor, handle: string): Promise<HandleResponse> {
  try {
    await db.update(users).set({ handle }).where(eq(users.id, actor.userId));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw new ApiError(409, 'HANDLE_TAKEN', `the handle ${JSON.stringify(handle)} is taken; choose another`);
  }
  return { handle };
}

/** The account with this handle, whatever its case; a disabled account is not found. */
export async function lookUpHandle({ db }: ServerDeps, handle: string): Promise<HandleLookupResponse> {
  if (!handleSchema.safeParse(handle).success) {
    throw new ApiError(400, 'BAD_HANDLE', `${HANDLE_RULE}; got ${JSON.stringify(handle.slice(0, 64))}`);
  }
  const [account] = await db
    .select({ id: users.id, handle: users.handle })
    .from(users)
    .where(and(sql`lower(${users.handle}) = lower(${handle})`, isNull(users.disabledAt)));
  if (!account?.handle)
    throw new ApiError(404, 'NO_SUCH_HANDLE', `no account has the handle ${JSON.stringify(handle)}`);
  const keys = await db
    .select()
    .from(publicKeys)
    .where(accountRows.publicKeys({ kind: 'account', userId: account.id }));
  const published = (purpose: 'sharing' | 'signing') => {
    const key = keys.find((row) => row.purpose === purpose);
    return key ? encodeBase64url(key.publicKey) : null;
  };
  return {
    userId: account.id,
    handle: account.handle,
    publicKeys: { sharing: published('sharing'), signing: published('signing') },
  };
}
