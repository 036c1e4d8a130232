/** What the settings screen lists and ends: the account's passkeys and sessions, and whether a recovery code is left. */
import type {
  AccountBundle,
  PasskeyRecord,
  PasskeysResponse,
  SessionRecord,
  SessionsResponse,
} from '$shared/api/responses.ts';
import { api } from '../api.ts';

export async function loadSettings(): Promise<{
  passkeys: PasskeyRecord[];
  sessions: SessionRecord[];
  hasRecoveryCode: boolean;
}> {
  const [keys, live, bundle] = await Promise.all([
    api<PasskeysResponse>('GET', '/api/account/passkeys'),
    api<SessionsResponse>('GET', '/api/account/sessions'),
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
