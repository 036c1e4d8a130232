/**
 * The WebAuthn checks both sign-up and "add a passkey" make, in one place: the options Coffer asks for (a discoverable
 * credential, user verification, no attestation) and the verification of the browser's answer, whose failures become
 * 401 WEBAUTHN_REFUSED with @simplewebauthn/server's message (what was received, what was expected).
 */
import type {
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  WebAuthnCredential,
} from '@simplewebauthn/server';
import { decodeBase64url, uuidToBytes } from '../../shared/crypto/index.ts';
import { ApiError } from '../http/errors.ts';
import { CHALLENGE_TTL_MS } from './challenges.ts';
import type { RelyingParty } from './relying-party.ts';

/**
 * @simplewebauthn/server, with its certificate and ASN.1 libraries, is loaded at the first ceremony, so that instances
 * that only move files never pay its memory (docs/BENCHMARKS.md, "Compiled ahead of time, WebAuthn loaded at the first
 * ceremony").
 */
const webauthn = () => import('@simplewebauthn/server');

type RegistrationResponse = Parameters<typeof verifyRegistrationResponse>[0]['response'];
type AuthenticationResponse = Parameters<typeof verifyAuthenticationResponse>[0]['response'];

export async function registrationOptions(
  rp: RelyingParty,
  userId: string,
  challenge: string,
  exclude: { id: string; transports: string[] }[] = [],
) {
  const { generateRegistrationOptions } = await webauthn();
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    // Coffer has no user names; the browser may show a name of the user's choosing instead.
    userName: 'Coffer',
    userID: uuidToBytes(userId),
    challenge: decodeBase64url(challenge),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: exclude,
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
}

/** The new credential, once its response matches the challenge, origin and RP ID with user verification. */
export async function verifyRegistration(
  rp: RelyingParty,
  response: unknown,
  challenge: string,
): Promise<WebAuthnCredential> {
  const { verifyRegistrationResponse } = await webauthn();
  return refusedUnless(async () => {
    const result = await verifyRegistrationResponse({
      response: response as RegistrationResponse,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
    });
    return result.verified ? result.registrationInfo.credential : undefined;
  });
}

/** The credential's new signature counter, once the assertion verifies (a counter gone backwards does not). */
export async function verifyAssertion(
  rp: RelyingParty,
  response: unknown,
  challenge: string,
  credential: WebAuthnCredential,
): Promise<number> {
  const { verifyAuthenticationResponse } = await webauthn();
  return refusedUnless(async () => {
    const result = await verifyAuthenticationResponse({
      response: response as AuthenticationResponse,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      credential,
      requireUserVerification: true,
    });
    return result.verified ? result.authenticationInfo.newCounter : undefined;
  });
}

/**
 * Options for an assertion with user verification: for signing in, with any passkey of this site (no user name); for
 * a step-up, with one of the account's passkeys (`allow`).
 */
export async function authenticationOptions(
  rp: RelyingParty,
  challenge: string,
  allow: { id: string; transports: string[] }[] = [],
) {
  const { generateAuthenticationOptions } = await webauthn();
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    challenge: decodeBase64url(challenge),
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'required',
    ...(allow.length > 0 ? { allowCredentials: allow } : {}),
  });
}

async function refusedUnless<T>(check: () => Promise<T | undefined>): Promise<T> {
  let value: T | undefined;
  try {
    value = await check();
  } catch (error) {
    throw new ApiError(
      401,
      'WEBAUTHN_REFUSED',
      error instanceof Error ? error.message : 'the passkey response was refused',
    );
  }
  if (value === undefined) throw new ApiError(401, 'WEBAUTHN_REFUSED', 'the passkey response did not verify');
  return value;
}
