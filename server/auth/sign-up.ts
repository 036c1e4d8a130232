/**
 * Sign-up: a WebAuthn registration with a discoverable credential, which makes the account with everything the
 * browser wrapped for it (docs/API.md, "Accounts"), and starts its first session.
 */
import type { Context } from 'hono';
import type { SignUpRequest } from '../../shared/api/auth-schemas.ts';
import type { AccountBundle, SignUpOptionsResponse } from '../../shared/api/responses.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { admitSignUp, claimFirstAdmin, markInviteUsedBy } from '../admin/registration.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { credentials, publicKeys, users, wrappedKeys } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { startSession, type AuthEnv } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { firstKeySetVersion } from '../accounts/key-sets.ts';
import { accountBundle, signUpKeyRows } from './account-keys.ts';
import { audit, requestOrigin } from './audit.ts';
import { consumeChallenge, issueChallenge } from './challenges.ts';
import { registrationOptions, verifyRegistration } from './passkey-ceremonies.ts';
import { recoveryVerifierHash } from './recovery.ts';

export async function signUpOptions(
  { db, now, relyingParty }: ServerDeps,
  c: Context<AuthEnv>,
): Promise<SignUpOptionsResponse> {
  const userId = crypto.randomUUID();
  const challenge = await issueChallenge(db, c, 'sign-up', now(), userId);
  return { userId, options: await registrationOptions(relyingParty, userId, challenge) };
}

export async function signUp(deps: ServerDeps, c: Context<AuthEnv>, request: SignUpRequest): Promise<AccountBundle> {
  const { db, now, relyingParty } = deps;
  const clientData = request.response.response.clientDataJSON;
  const { challenge, userId } = await consumeChallenge(db, c, clientData, 'sign-up', now());
  const credential = await verifyRegistration(relyingParty, request.response, challenge);
  const accountId = userId!;
  const origin = requestOrigin(c);
  const { wraps, published } = signUpKeyRows(accountId, credential.id, request);
  const keys = {
    sharing: decodeBase64url(request.publicKeys.sharing),
    signing: decodeBase64url(request.publicKeys.signing),
  };
  // The ways in this sign-up makes, which its key set must name.
  const signUpWays = {
    passkeyIds: [credential.id],
    prfWraps: request.prfWrap ? [{ credentialId: credential.id, wrapped: request.prfWrap.wrapped }] : [],
    passphraseWrap: request.passphraseWrap ?? null,
    recoveryWrap: request.recoveryWrap,
  };
  const keySet = request.keySet
    ? { keySet: request.keySet, keySetVersion: await firstKeySetVersion(accountId, request.keySet, keys, signUpWays) }
    : {};
  try {
    await db.transaction(async (tx) => {
      const admission = await admitSignUp(tx, deps, request.inviteToken);
      const firstAdmin = await claimFirstAdmin(tx, now());
      await tx.insert(users).values({
        id: accountId,
        role: firstAdmin ? 'admin' : 'user',
        quotaBytes: admission.quotaBytes,
        recoveryVerifier: await recoveryVerifierHash(request.recoveryVerifier),
        ...keySet,
      });
      await markInviteUsedBy(tx, admission, accountId);
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
      await audit(tx, {
        type: 'sign-up',
        userId: accountId,
        origin,
        at: now(),
        details: firstAdmin ? { role: 'admin' } : {},
      });
      await audit(tx, {
        type: 'passkey-added',
        userId: accountId,
        origin,
        at: now(),
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
  return accountBundle(db, accountId);
}
