/**
 * The account's passkeys: listed, added (after a step-up), renamed, removed. A passkey can be removed unless it is the
 * last one: the recovery key alone is a way back, not a way in for every day.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import type { AddPasskeyRequest } from '../../shared/api/auth-schemas.ts';
import type {
  AddedPasskeyResponse,
  PasskeysResponse,
  RegistrationOptionsResponse,
} from '../../shared/api/responses.ts';
import { decodeBase64url, encodeBase64url, type SignedKeySet } from '../../shared/crypto/index.ts';
import { accountRows, requireOwnChallenge, type Actor } from '../access/policy.ts';
import { prfWrapRow, WRAP_PURPOSES } from '../auth/account-keys.ts';
import { audit, requestOrigin, type RequestOrigin } from '../auth/audit.ts';
import { consumeChallenge, issueChallenge } from '../auth/challenges.ts';
import { registrationOptions, verifyRegistration } from '../auth/passkey-ceremonies.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { storeNextKeySet } from './key-sets.ts';
import { credentials, sessions, wrappedKeys } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';

/** The passkeys, oldest first; `sessionCredentialId` is the one this session signed in with. */
export async function listPasskeys(
  { db }: ServerDeps,
  actor: Actor,
  sessionCredentialId: string | null,
): Promise<PasskeysResponse> {
  const rows = await db.select().from(credentials).where(accountRows.credentials(actor)).orderBy(credentials.createdAt);
  const prf = await db
    .select({ credentialId: wrappedKeys.credentialId })
    .from(wrappedKeys)
    .where(and(accountRows.wrappedKeys(actor), eq(wrappedKeys.purpose, WRAP_PURPOSES.prf)));
  const withPrf = new Set(prf.map((row) => row.credentialId));
  return {
    passkeys: rows.map((row) => ({
      id: row.id,
      encryptedLabel: row.encryptedLabel ? encodeBase64url(row.encryptedLabel) : null,
      unlocks: withPrf.has(row.id),
      startedThisSession: row.id === sessionCredentialId,
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    })),
  };
}

export async function passkeyOptions(
  { db, now, relyingParty }: ServerDeps,
  c: Context<AuthEnv>,
  actor: Actor,
): Promise<RegistrationOptionsResponse> {
  const existing = await db
    .select({ id: credentials.id, transports: credentials.transports })
    .from(credentials)
    .where(accountRows.credentials(actor));
  const challenge = await issueChallenge(db, c, 'add-passkey', now(), actor.userId);
  return { options: await registrationOptions(relyingParty, actor.userId, challenge, existing) };
}

export async function addPasskey(
  { db, now, relyingParty }: ServerDeps,
  c: Context<AuthEnv>,
  actor: Actor,
  request: AddPasskeyRequest,
): Promise<AddedPasskeyResponse> {
  const clientData = request.response.response.clientDataJSON;
  const { challenge, userId } = await consumeChallenge(db, c, clientData, 'add-passkey', now());
  requireOwnChallenge(actor, userId);
  const credential = await verifyRegistration(relyingParty, request.response, challenge);
  try {
    await db.transaction(async (tx) => {
      await tx.insert(credentials).values({
        id: credential.id,
        userId: actor.userId,
        publicKey: credential.publicKey,
        counter: credential.counter,
        transports: credential.transports ?? [],
        encryptedLabel: request.encryptedLabel ? decodeBase64url(request.encryptedLabel) : null,
      });
      if (request.prfWrap) {
        await tx.insert(wrappedKeys).values(prfWrapRow(actor.userId, credential.id, request.prfWrap));
      }
      await storeNextKeySet(tx, actor, request.keySet);
      await audit(tx, {
        type: 'passkey-added',
        userId: actor.userId,
        origin: requestOrigin(c),
        at: now(),
        details: { credentialId: credential.id, prf: request.prfWrap !== undefined },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError(409, 'CREDENTIAL_EXISTS', 'this passkey is already registered');
    throw error;
  }
  return { id: credential.id };
}

export async function renamePasskey(
  { db }: ServerDeps,
  actor: Actor,
  credentialId: string,
  encryptedLabel: string,
): Promise<void> {
  const updated = await db
    .update(credentials)
    .set({ encryptedLabel: decodeBase64url(encryptedLabel) })
    .where(and(eq(credentials.id, credentialId), accountRows.credentials(actor)))
    .returning({ id: credentials.id });
  if (updated.length === 0) throw new ApiError(404, 'NOT_FOUND', 'no such passkey on this account');
}

/** Removes a passkey and ends the sessions it started; returns their ids. */
export async function removePasskey(
  { db, now }: ServerDeps,
  actor: Actor,
  credentialId: string,
  keySet: SignedKeySet | undefined,
  origin: RequestOrigin,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const owned = await tx
      .select({ id: credentials.id })
      .from(credentials)
      .where(accountRows.credentials(actor))
      .for('update');
    if (!owned.some((row) => row.id === credentialId)) {
      throw new ApiError(404, 'NOT_FOUND', 'no such passkey on this account');
    }
    if (owned.length === 1) {
      throw new ApiError(
        409,
        'LAST_PASSKEY',
        'this is the last passkey of the account; add another before removing it',
      );
    }
    // The sessions it started end with it: whoever signed in with a lost or stolen passkey is out at once.
    const endedSessions = await tx
      .update(sessions)
      .set({ revokedAt: now() })
      .where(and(eq(sessions.credentialId, credentialId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    // Its PRF wrap goes with it (foreign key, on delete cascade).
    await tx.delete(credentials).where(eq(credentials.id, credentialId));
    await storeNextKeySet(tx, actor, keySet);
    await audit(tx, {
      type: 'passkey-removed',
      userId: actor.userId,
      origin,
      at: now(),
      details: { credentialId, endedSessions: endedSessions.length },
    });
    return endedSessions.map((row) => row.id);
  });
}
