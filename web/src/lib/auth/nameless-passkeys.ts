/**
 * Passkeys the user cannot tell apart: sign-up and "Add a passkey" register them without a name, and the list then
 * shows each as the generic default. The dashboard and Settings say so, so that the user names them while they still
 * know which device is which, and can later remove the right one when a device is lost.
 */
import type { PasskeysResponse } from '$shared/api/responses.ts';
import { api } from '../api.ts';
import { passkeyName, type UnlockedAccount } from './account-client.ts';

/** What Settings shows for a passkey that has no name. */
export const DEFAULT_PASSKEY_NAME = 'Unnamed passkey';

/** No name, a blank one, or the generic default typed back in: nothing that tells this passkey from another. */
export function isNameless(name: string | undefined): boolean {
  const trimmed = name?.trim() ?? '';
  return trimmed === '' || trimmed.toLowerCase() === DEFAULT_PASSKEY_NAME.toLowerCase();
}

/** The ids of the account's passkeys that have no name of their own. */
export async function namelessPasskeys(account: UnlockedAccount): Promise<string[]> {
  const { passkeys } = await api<PasskeysResponse>('GET', '/api/account/passkeys');
  const names = await Promise.all(passkeys.map((passkey) => passkeyName(account, passkey.id, passkey.encryptedLabel)));
  return passkeys.filter((_, index) => isNameless(names[index])).map((passkey) => passkey.id);
}

/** The warning for `count` nameless passkeys, said the same on the dashboard and in Settings. */
export function namelessWarning(count: number): string {
  const which =
    count === 1 ? 'A passkey on your account has no name' : `${count} passkeys on your account have no name`;
  return `${which}: if a device is lost, you will not know which passkey to remove. Name ${count === 1 ? 'it' : 'them'} while you still know which device is which.`;
}
