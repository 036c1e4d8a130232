import type { CDPSession } from 'playwright';

/**
 * A CDP virtual authenticator as a platform passkey provider would be: CTAP2, internal, resident keys, user
 * verification that succeeds, presence simulated; with or without the PRF extension. Chrome allows one internal
 * authenticator at a time.
 */
export async function addVirtualAuthenticator(cdp: CDPSession, hasPrf: boolean): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      hasPrf,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}
