/** Leaving: the signed-in account deletes itself, after a passkey touch made for this deletion. */
import type { AccountBundle } from '$shared/api/responses.ts';
import type { DeleteOwnAccountRequest } from '$shared/api/schemas.ts';
import { api } from '../api.ts';
import { stepUp } from './account-client.ts';

/**
 * A fresh passkey check every time, even if one from the last minutes would still pass: nothing is final like this.
 * `confirm` is the handle as typed; the server compares it and says what it expected.
 */
export async function deleteOwnAccount(confirm: string): Promise<void> {
  await stepUp();
  await api('DELETE', '/api/account', { confirm } satisfies DeleteOwnAccountRequest);
}

/** What the owner must type: the handle as the server has it now (it may have changed since the app loaded), or the id. */
export async function deletionConfirmation(): Promise<{ handle: string | null; userId: string }> {
  const { handle, userId } = await api<AccountBundle>('GET', '/api/account');
  return { handle, userId };
}
