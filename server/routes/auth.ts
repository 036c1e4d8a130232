/**
 * Passkey accounts (docs/API.md, "Accounts"). Sign-up and sign-in are WebAuthn ceremonies with discoverable
 * credentials and user verification required; the server checks them with @simplewebauthn/server and hands out the
 * account's wrapped keys only after one succeeds. It never sees a PRF output, passphrase, recovery key or master key:
 * those stay in the browser, which sends only Fernet tokens made with them.
 */
import { eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { recoverSchema, signInSchema, signUpSchema } from '../../shared/api/auth-schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { accountBundle, signUpKeyRows } from '../auth/account-keys.ts';
import { audit } from '../auth/audit.ts';
import { consumeChallenge, issueChallenge } from '../auth/challenges.ts';
import { checkAssertion } from '../auth/assertions.ts';
import { authenticationOptions, registrationOptions, verifyRegistration } from '../auth/passkey-ceremonies.ts';
import { recoveryVerifierHash, useRecoveryCode } from '../auth/recovery.ts';
import { countAuthAttempt, type WindowLimit } from '../auth/rate-limits.ts';
import type { ServerDeps } from '../deps.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { credentials, publicKeys, sessions, users, wrappedKeys } from '../db/schema.ts';
import { sessionTokenHash, startSession, type AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { readJson } from '../http/validate.ts';

/** Routes that need no session: becoming someone. */
export function authRoutes(deps: ServerDeps) {
  const { db, now, relyingParty: rp } = deps;
  const limit = (c: Context, name: string, windowLimit: WindowLimit) =>
    countAuthAttempt(db, `${name}:${c.get('clientAddress')}`, windowLimit, now());
  const requestId = (c: Context) => c.get('requestId') as string;
  /** Signing in again from a signed-in browser replaces its session. */
  const endThisBrowsersSession = async (c: Context) => {
    const previous = await sessionTokenHash(c);
    if (previous) await db.update(sessions).set({ revokedAt: now() }).where(eq(sessions.tokenHash, previous));
  };

  return new Hono<AuthEnv>()
    .use(jsonBodyLimit())
    .post('/sign-up/options', async (c) => {
      await limit(c, 'sign-up', deps.authLimits.signUp);
      const userId = crypto.randomUUID();
      const challenge = await issueChallenge(db, c, 'sign-up', now(), userId);
      const options = await registrationOptions(rp, userId, challenge);
      return c.json({ userId, options });
    })
    .post('/sign-up/verify', async (c) => {
      await limit(c, 'sign-up', deps.authLimits.signUp);
      const request = await readJson(c, signUpSchema);
      const { challenge, userId } = await consumeChallenge(
        db,
        c,
        request.response.response.clientDataJSON,
        'sign-up',
        now(),
      );
      const credential = await verifyRegistration(rp, request.response, challenge);
      const accountId = userId!;
      const { wraps, published } = signUpKeyRows(accountId, credential.id, request);
      try {
        await db.transaction(async (tx) => {
          await tx.insert(users).values({
            id: accountId,
            quotaBytes: deps.defaultQuotaBytes,
            recoveryVerifier: await recoveryVerifierHash(request.recoveryVerifier),
          });
          await tx.insert(credentials).values({
            id: credential.id,
            userId: accountId,
            publicKey: credential.publicKey,
            counter: credential.counter,
            transports: credential.transports ?? [],
            encryptedLabel: request.encryptedLabel ? decodeBase64url(request.encryptedLabel) : null,
          });
          await tx.insert(wrappedKeys).values(wraps);
          await tx.insert(publicKeys).values(published);
          await audit(tx, { type: 'sign-up', userId: accountId, requestId: requestId(c) });
          await audit(tx, {
            type: 'passkey-added',
            userId: accountId,
            requestId: requestId(c),
            details: { credentialId: credential.id, prf: request.prfWrap !== undefined },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ApiError(409, 'CREDENTIAL_EXISTS', 'this passkey or recovery key already belongs to an account');
        }
        throw error;
      }
      await startSession(db, c, accountId, now(), credential.id);
      return c.json(await accountBundle(db, accountId), 201);
    })
    .post('/sign-in/options', async (c) => {
      await limit(c, 'sign-in', deps.authLimits.signIn);
      const challenge = await issueChallenge(db, c, 'sign-in', now());
      const options = await authenticationOptions(rp, challenge);
      return c.json({ options });
    })
    .post('/sign-in/verify', async (c) => {
      await limit(c, 'sign-in', deps.authLimits.signIn);
      const { response } = await readJson(c, signInSchema);
      const { challenge } = await consumeChallenge(db, c, response.response.clientDataJSON, 'sign-in', now());
      const stored = await checkAssertion(db, rp, response, challenge, {
        failure: 'sign-in-failed',
        requestId: requestId(c),
        now: now(),
      });
      const [user] = await db.select({ disabledAt: users.disabledAt }).from(users).where(eq(users.id, stored.userId));
      if (!user || user.disabledAt) throw new ApiError(403, 'ACCOUNT_DISABLED', 'this account is disabled');
      await endThisBrowsersSession(c);
      await startSession(db, c, stored.userId, now(), stored.id);
      await audit(db, {
        type: 'sign-in',
        userId: stored.userId,
        requestId: requestId(c),
        details: { credentialId: stored.id },
      });
      return c.json({ ...(await accountBundle(db, stored.userId)), credentialId: stored.id });
    })
    .post('/recover', async (c) => {
      await limit(c, 'recover', deps.authLimits.recover);
      const { recoveryVerifier } = await readJson(c, recoverSchema);
      const recovered = await useRecoveryCode(db, recoveryVerifier, now());
      if (!recovered) {
        await audit(db, { type: 'recovery-failed', requestId: requestId(c) });
        throw new ApiError(
          401,
          'RECOVERY_REFUSED',
          'this recovery code does not open any account (a code works once: after a recovery, use the new one)',
        );
      }
      await endThisBrowsersSession(c);
      await startSession(db, c, recovered.userId, now(), null);
      await audit(db, {
        type: 'recovery-used',
        userId: recovered.userId,
        requestId: requestId(c),
        details: { endedSessions: recovered.endedSessions },
      });
      return c.json(recovered.bundle);
    });
}
