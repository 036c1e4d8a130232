/**
 * The rollback check of the account's sealed lists (its contacts, the shares it accepted; threat model rows 4 and 10):
 * each list carries a revision sealed with it (docs/FORMAT.md section 4), and the device remembers the highest it
 * opened (seen-versions.ts). A copy of a lower revision, or none at all once a revision was seen, is a server serving an
 * older state: wiped contacts would make a pinned person look new, with whatever keys the server gives, and an older
 * list of accepted shares would open again a share the user left. Such a copy is refused, never used nor written over.
 */
import type { SeenVersions } from './seen-versions.ts';

export type SealedListKind = 'contacts' | 'accepted-shares';

/** The server served an older copy of a list than this device has seen. */
export class ListRolledBackError extends Error {}

/**
 * Checks the revision of the copy the server served (`null` when it served none) against what this device has seen,
 * and remembers it when it is the newest. `name` is what the user calls the list ("your contacts"), `stopped` what was
 * not done for it ("Nothing was shared.").
 */
export async function checkListRevision(
  seen: SeenVersions,
  list: { kind: SealedListKind; name: string; stopped: string },
  accountId: string,
  revision: number | null,
): Promise<void> {
  const highest = await seen.highest(list.kind, accountId);
  if (highest !== undefined && (revision === null || revision < highest)) {
    const served =
      revision === null ? 'none at all' : revision === 0 ? 'one without a revision' : `revision ${revision}`;
    throw new ListRolledBackError(
      `The server showed an older copy of ${list.name} than this device has already seen (${served}; this device ` +
        `has seen revision ${highest}), so it was not used. ${list.stopped} Try again later; if this goes on, the ` +
        'server is not giving you your own data.',
    );
  }
  if (revision !== null) await seen.remember(list.kind, accountId, revision);
}
