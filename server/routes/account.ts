/**
 * The signed-in account: its wrapped keys (to unlock again after a reload), passkeys, passphrase, recovery code and
 * sessions. A passkey can be removed unless it is the last one: the recovery key alone is a way back, not a way in for
 * every day. Every change to how the account is entered or who is in it needs a fresh step-up (server/auth/step-up.ts).
 */
import { and, count, desc, eq, isNull } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import {
  addPasskeySchema,
  newRecoveryCodeSchema,
  passphraseSchema,
  renamePasskeySchema,
  stepUpSchema,
} from '../../shared/api/auth-schemas.ts';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import { accountBundle, passphraseWrapRow, prfWrapRow, WRAP_PURPOSES } from '../auth/account-keys.ts';
import { checkAssertion } from '../auth/assertions.ts';
import { audit } from '../auth/audit.ts';
import { consumeChallenge, issueChallenge } from '../auth/challenges.ts';
import { authenticationOptions, registrationOptions, verifyRegistration } from '../auth/passkey-ceremonies.ts';
import { countAuthAttempt } from '../auth/rate-limits.ts';
import { replaceRecoveryCode } from '../auth/recovery.ts';
import { assertSteppedUp, recordStepUp, requireStepUp, STEP_UP_MAX_AGE_MS } from '../auth/step-up.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { auditEvents, credentials, sessions, wrappedKeys } from '../db/schema.ts';
import { endSessionCookie, liveSession, type AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { idParam, limitQuery, readJson } from '../http/validate.ts';
import { accountActor, accountRows } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';

export function accountRoutes(deps: ServerDeps) {
  const { db, now, relyingParty: rp } = deps;
  const requestId = (c: Context) => c.get('requestId') as string;
  const steppedUp = requireStepUp(now);

  return new Hono<AuthEnv>()
    .use(jsonBodyLimit())
    .get('/', async (c) => c.json(await accountBundle(db, c.get('user').id)))
    .get('/security-events', async (c) => {
      // The account's own security log, newest first: what a user checks after a scare (sign-ins, passkeys, recovery).
      const limit = limitQuery(c, { max: 100, fallback: 20 });
      const rows = await db
        .select({ type: auditEvents.type, createdAt: auditEvents.createdAt })
        .from(auditEvents)
        .where(accountRows.auditEvents(accountActor(c.get('user'))))
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(limit);
      return c.json({ events: rows.map((row) => ({ type: row.type, at: row.createdAt.toISOString() })) });
    })
    .post('/step-up/options', async (c) => {
      const user = c.get('user');
      await countAuthAttempt(db, `step-up:${user.id}`, deps.authLimits.stepUp, now());
      const own = await db
        .select({ id: credentials.id, transports: credentials.transports })
        .from(credentials)
        .where(accountRows.credentials(accountActor(user)));
      const challenge = await issueChallenge(db, c, 'step-up', now(), user.id);
      return c.json({ options: await authenticationOptions(rp, challenge, own) });
    })
    .post('/step-up', async (c) => {
      const user = c.get('user');
      await countAuthAttempt(db, `step-up:${user.id}`, deps.authLimits.stepUp, now());
      const { response } = await readJson(c, stepUpSchema);
      const { challenge, userId } = await consumeChallenge(db, c, response.response.clientDataJSON, 'step-up', now());
      if (userId !== user.id)
        throw new ApiError(400, 'BAD_CHALLENGE', 'the signed challenge was issued for another account');
      const stored = await checkAssertion(db, rp, response, challenge, {
        accountId: user.id,
        failure: 'step-up-failed',
        requestId: requestId(c),
        now: now(),
      });
      const at = now();
      await recordStepUp(db, c.get('sessionId'), at);
      await audit(db, {
        type: 'step-up',
        userId: user.id,
        requestId: requestId(c),
        details: { credentialId: stored.id },
      });
      return c.json({ validUntil: new Date(at.getTime() + STEP_UP_MAX_AGE_MS).toISOString() });
    })
    .get('/passkeys', async (c) => {
      const rows = await db
        .select()
        .from(credentials)
        .where(accountRows.credentials(accountActor(c.get('user'))))
        .orderBy(credentials.createdAt);
      const prf = await db
        .select({ credentialId: wrappedKeys.credentialId })
        .from(wrappedKeys)
        .where(and(accountRows.wrappedKeys(accountActor(c.get('user'))), eq(wrappedKeys.purpose, WRAP_PURPOSES.prf)));
      const withPrf = new Set(prf.map((row) => row.credentialId));
      return c.json({
        passkeys: rows.map((row) => ({
          id: row.id,
          encryptedLabel: row.encryptedLabel ? encodeBase64url(row.encryptedLabel) : null,
          unlocks: withPrf.has(row.id),
          // Removing it would sign this browser out too.
          startedThisSession: row.id === c.get('session').credentialId,
          createdAt: row.createdAt.toISOString(),
          lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
        })),
      });
    })
    .post('/passkeys/options', steppedUp, async (c) => {
      const user = c.get('user');
      await countAuthAttempt(db, `passkeys:${user.id}`, deps.authLimits.passkeys, now());
      const existing = await db
        .select({ id: credentials.id, transports: credentials.transports })
        .from(credentials)
        .where(accountRows.credentials(accountActor(user)));
      const challenge = await issueChallenge(db, c, 'add-passkey', now(), user.id);
      const options = await registrationOptions(rp, user.id, challenge, existing);
      return c.json({ options });
    })
    .post('/passkeys', steppedUp, async (c) => {
      const user = c.get('user');
      await countAuthAttempt(db, `passkeys:${user.id}`, deps.authLimits.passkeys, now());
      const request = await readJson(c, addPasskeySchema);
      const { challenge, userId } = await consumeChallenge(
        db,
        c,
        request.response.response.clientDataJSON,
        'add-passkey',
        now(),
      );
      if (userId !== user.id)
        throw new ApiError(400, 'BAD_CHALLENGE', 'the signed challenge was issued for another account');
      const credential = await verifyRegistration(rp, request.response, challenge);
      try {
        await db.transaction(async (tx) => {
          await tx.insert(credentials).values({
            id: credential.id,
            userId: user.id,
            publicKey: credential.publicKey,
            counter: credential.counter,
            transports: credential.transports ?? [],
            encryptedLabel: request.encryptedLabel ? decodeBase64url(request.encryptedLabel) : null,
          });
          if (request.prfWrap) await tx.insert(wrappedKeys).values(prfWrapRow(user.id, credential.id, request.prfWrap));
          await audit(tx, {
            type: 'passkey-added',
            userId: user.id,
            requestId: requestId(c),
            details: { credentialId: credential.id, prf: request.prfWrap !== undefined },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ApiError(409, 'CREDENTIAL_EXISTS', 'this passkey is already registered');
        throw error;
      }
      return c.json({ id: credential.id }, 201);
    })
    .patch('/passkeys/:credentialId', async (c) => {
      const { encryptedLabel } = await readJson(c, renamePasskeySchema);
      const updated = await db
        .update(credentials)
        .set({ encryptedLabel: decodeBase64url(encryptedLabel) })
        .where(
          and(eq(credentials.id, c.req.param('credentialId')), accountRows.credentials(accountActor(c.get('user')))),
        )
        .returning({ id: credentials.id });
      if (updated.length === 0) throw new ApiError(404, 'NOT_FOUND', 'no such passkey on this account');
      return c.body(null, 204);
    })
    .delete('/passkeys/:credentialId', steppedUp, async (c) => {
      const user = c.get('user');
      const credentialId = c.req.param('credentialId');
      const ended = await db.transaction(async (tx) => {
        const owned = await tx
          .select({ id: credentials.id })
          .from(credentials)
          .where(accountRows.credentials(accountActor(user)))
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
        await audit(tx, {
          type: 'passkey-removed',
          userId: user.id,
          requestId: requestId(c),
          details: { credentialId, endedSessions: endedSessions.length },
        });
        return endedSessions.map((row) => row.id);
      });
      const signedOut = ended.includes(c.get('sessionId'));
      if (signedOut) endSessionCookie(c);
      return c.json({ endedSessions: ended.length, signedOut });
    })
    .put('/recovery', steppedUp, async (c) => {
      const user = c.get('user');
      const request = await readJson(c, newRecoveryCodeSchema);
      try {
        await db.transaction(async (tx) => {
          await replaceRecoveryCode(tx, user.id, request);
          await audit(tx, { type: 'recovery-changed', userId: user.id, requestId: requestId(c) });
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ApiError(409, 'RECOVERY_CODE_EXISTS', 'this recovery code already belongs to an account');
        throw error;
      }
      return c.body(null, 204);
    })
    .put('/passphrase', steppedUp, async (c) => {
      const user = c.get('user');
      const { passphraseWrap } = await readJson(c, passphraseSchema);
      await db.transaction(async (tx) => {
        await tx
          .delete(wrappedKeys)
          .where(and(accountRows.wrappedKeys(accountActor(user)), eq(wrappedKeys.purpose, WRAP_PURPOSES.passphrase)));
        await tx.insert(wrappedKeys).values(passphraseWrapRow(user.id, passphraseWrap));
        await audit(tx, { type: 'passphrase-changed', userId: user.id, requestId: requestId(c) });
      });
      return c.body(null, 204);
    })
    .get('/sessions', async (c) => {
      const rows = await db
        .select({ id: sessions.id, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt })
        .from(sessions)
        .where(and(accountRows.sessions(accountActor(c.get('user'))), liveSession(now())))
        .orderBy(desc(sessions.lastSeenAt));
      return c.json({
        sessions: rows.map((row) => ({
          id: row.id,
          current: row.id === c.get('sessionId'),
          createdAt: row.createdAt.toISOString(),
          lastSeenAt: row.lastSeenAt.toISOString(),
        })),
      });
    })
    .delete('/sessions/:sessionId', async (c) => {
      const user = c.get('user');
      const sessionId = idParam(c, 'sessionId');
      // Signing this browser out needs nothing more; signing out another one is a change to who is in the account.
      if (sessionId !== c.get('sessionId')) assertSteppedUp(c, now());
      const revoked = await db
        .update(sessions)
        .set({ revokedAt: now() })
        .where(and(eq(sessions.id, sessionId), accountRows.sessions(accountActor(user)), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      if (revoked.length === 0) throw new ApiError(404, 'NOT_FOUND', 'no such session');
      await audit(db, { type: 'session-revoked', userId: user.id, requestId: requestId(c) });
      if (revoked[0]!.id === c.get('sessionId')) endSessionCookie(c);
      return c.body(null, 204);
    })
    .post('/sign-out', async (c) => {
      const user = c.get('user');
      await db
        .update(sessions)
        .set({ revokedAt: now() })
        .where(eq(sessions.id, c.get('sessionId')));
      await audit(db, { type: 'sign-out', userId: user.id, requestId: requestId(c) });
      endSessionCookie(c);
      return c.body(null, 204);
    })
    .post('/sign-out-everywhere', steppedUp, async (c) => {
      const user = c.get('user');
      const [{ n } = { n: 0 }] = await db
        .select({ n: count() })
        .from(sessions)
        .where(and(accountRows.sessions(accountActor(user)), isNull(sessions.revokedAt)));
      await db
        .update(sessions)
        .set({ revokedAt: now() })
        .where(and(accountRows.sessions(accountActor(user)), isNull(sessions.revokedAt)));
      await audit(db, {
        type: 'sign-out-everywhere',
        userId: user.id,
        requestId: requestId(c),
        details: { sessions: n },
      });
      endSessionCookie(c);
      return c.body(null, 204);
    });
}
