/**
 * The shares this account accepted on its own devices (threat model row 3): the server's list says which shares are
 * accepted, but a hostile server could say so of one the user never accepted, to plant its items among the user's.
 * So the account keeps its own record, sealed under its master key (docs/FORMAT.md section 4, purpose
 * `accepted-shares`) as its `accepted-shares` document, and a share counts as accepted only when both say so. Each
 * entry binds the share's id to the terms of the grant that verified when it was accepted, so that the server cannot
 * point an accepted id at another grant: another node, sender, owner, kind or role needs a new answer.
 */
import type { GrantTerms } from '$shared/crypto/index.ts';
import { SEALED_TEXT_PURPOSES } from '$shared/crypto/index.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import { changeList, loadList, type SealedList } from '../sealed-list-document.ts';

export interface Acceptance extends Omit<GrantTerms, 'recipientId'> {
  shareId: string;
}

/** The share as the device saw it when accepting: its id and its verified grant. */
interface VerifiedShare {
  id: string;
  grant: GrantTerms;
}

const ACCEPTED_SHARES: SealedList<Acceptance> = {
  kind: 'accepted-shares',
  purpose: SEALED_TEXT_PURPOSES.acceptedShares,
  field: 'shares',
  title: 'Your list of accepted shares',
  name: 'your list of accepted shares',
  stopped: 'No share made to you is opened until it is repaired.',
  isEntry: (entry): entry is Acceptance & Record<string, unknown> =>
    ['shareId', 'senderId', 'ownerId', 'nodeId', 'kind', 'role'].every((field) => typeof entry[field] === 'string'),
};

function acceptanceOf({ id, grant }: VerifiedShare): Acceptance {
  const { senderId, ownerId, nodeId, kind, role } = grant;
  return { shareId: id, senderId, ownerId, nodeId, kind, role };
}

/** Whether the account accepted this share, with this very grant's terms, on one of its devices. */
export function isRecorded(acceptances: Acceptance[], share: VerifiedShare): boolean {
  const expected = acceptanceOf(share);
  return acceptances.some((acceptance) =>
    (Object.keys(expected) as (keyof Acceptance)[]).every((field) => acceptance[field] === expected[field]),
  );
}

export async function loadAcceptances(account: AccountKeys): Promise<Acceptance[]> {
  return (await loadList(ACCEPTED_SHARES, account)).entries;
}

export async function recordAcceptance(account: AccountKeys, share: VerifiedShare): Promise<void> {
  await changeList(ACCEPTED_SHARES, account, (acceptances) => [
    ...acceptances.filter((acceptance) => acceptance.shareId !== share.id),
    acceptanceOf(share),
  ]);
}

export async function forgetAcceptance(account: AccountKeys, shareId: string): Promise<void> {
  await changeList(ACCEPTED_SHARES, account, (acceptances) =>
    acceptances.filter((acceptance) => acceptance.shareId !== shareId),
  );
}
