/** What the settings screen lists and ends: the account's passkeys and sessions, and whether a recovery code is left. */
import { api } from '../api.ts';
import type { AccountBundle } from './account-client.ts';

export interface Passkey {
  id: string;
  encryptedLabel: string | null;
  unlocks: boolean;
  /** This browser signed in with it: removing it signs this browser out. */
  startedThisSession: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Session {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
}

export async function loadSettings(): Promise<{ passkeys: Passkey[]; sessions: Session[]; hasRecoveryCode: boolean }> {
  const [keys, live, bundle] = await Promise.all([
    api<{ passkeys: Passkey[] }>('GET', '/api/account/passkeys'),
    api<{ sessions: Session[] }>('GET', '/api/account/sessions'),
    api<AccountBundle>('GET', '/api/account'),
  ]);
  return { passkeys: keys.passkeys, sessions: live.sessions, hasRecoveryCode: bundle.recoveryWrap !== null };
}

export async function revokeSession(id: string): Promise<void> {
  await api('DELETE', `/api/account/sessions/${id}`);
}

/** Ends every session of the account, this browser's included. */
export async function endAllSessions(): Promise<void> {
  await api('POST', '/api/account/sign-out-everywhere');
}
