/** Who Coffer is to WebAuthn: its origin (from PUBLIC_ORIGIN), the RP ID (that origin's host name) and a name. */
export interface RelyingParty {
  origin: string;
  rpId: string;
  rpName: string;
}

export function relyingPartyFor(publicOrigin: string): RelyingParty {
  return { origin: publicOrigin, rpId: new URL(publicOrigin).hostname, rpName: 'Coffer' };
}
