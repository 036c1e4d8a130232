/** The account and its passkeys as the server shows them now: what the key set is checked against. */
import type { AccountBundle, PasskeysResponse } from '$shared/api/responses.ts';
import { api } from '../api.ts';

export async function shownAccount(): Promise<{ bundle: AccountBundle; passkeys: PasskeysResponse }> {
  const [bundle, passkeys] = await Promise.all([
    api<AccountBundle>('GET', '/api/account'),
    api<PasskeysResponse>('GET', '/api/account/passkeys'),
  ]);
  return { bundle, passkeys };
}
