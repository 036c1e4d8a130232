/**
 * The share dialog's steps: find a person by handle; pin them (a new person after comparing, or not, the fingerprint
 * words; a pinned person only if the server still gives the pinned keys, or else after the user confirms new ones);
 * then share with a role. Who has access is listed beside it, each removable.
 */
import type { HandleLookupResponse, ShareRecord } from '$shared/api/responses.ts';
import { decodeBase64url, fingerprintWords, type GrantRole } from '$shared/crypto/index.ts';
import { accountState } from '$lib/account.svelte.ts';
import {
  checkRecipient,
  contactKeys,
  contactOf,
  KeyChangedError,
  withContact,
  type Contact,
} from '$lib/contacts/contact-book.ts';
import { contacts } from '$lib/contacts/contacts.svelte.ts';
import { drive } from '$lib/files/drive.svelte.ts';
import { openSeenVersions } from '$lib/integrity/seen-versions.ts';
import type { OpenNode } from '$lib/files/node-records.ts';
import { findPerson } from '$lib/sharing/find-person.ts';
import { sharingKeys } from '$lib/sharing/account-keys.ts';
import { syncEditorRoster } from '$lib/sharing/editor-roster.ts';
import { revokeShare } from '$lib/sharing/revoke-share.ts';
import { peopleWithAccess, shareNode } from '$lib/sharing/share-node.ts';

export type Step =
  | { kind: 'find' }
  /** Not a contact yet: the words to compare before pinning their keys. */
  | { kind: 'new'; found: HandleLookupResponse; words: string[] }
  /** Pinned, but the server now gives other keys: nothing is shared until the user takes the new ones. */
  | { kind: 'changed'; found: HandleLookupResponse; pinned: Contact; words: string[]; pinnedWords: string[] }
  | { kind: 'ready'; contact: Contact };

export class ShareFlow {
  step = $state.raw<Step>({ kind: 'find' });
  access = $state.raw<ShareRecord[]>([]);
  /** What was just done, for a screen reader to hear. */
  status = $state('');
  readonly node: OpenNode;

  constructor(node: OpenNode) {
    this.node = node;
  }

  async loadAccess(): Promise<void> {
    this.access = await peopleWithAccess(this.node);
  }

  async find(handle: string): Promise<void> {
    this.status = '';
    const found = await findPerson(handle);
    if (found.userId === accountState.account?.userId)
      throw new Error('This is your own handle: share with someone else.');
    const newKeys = contactOf(found, false);
    try {
      const pinned = checkRecipient(await contacts.ready(), found);
      this.step = pinned
        ? { kind: 'ready', contact: pinned }
        : { kind: 'new', found, words: await fingerprintWords(contactKeys(newKeys)) };
    } catch (error) {
      if (!(error instanceof KeyChangedError)) throw error;
      this.step = {
        kind: 'changed',
        found,
        pinned: error.pinned,
        words: await fingerprintWords(contactKeys(newKeys)),
        pinnedWords: await fingerprintWords(contactKeys(error.pinned)),
      };
    }
  }

  /** Pins the keys the server gives now, verified when the user compared the words. */
  async pin(found: HandleLookupResponse, verified: boolean): Promise<void> {
    const contact = contactOf(found, verified);
    await contacts.change((list) => withContact(list, contact));
    this.step = { kind: 'ready', contact };
  }

  async share(contact: Contact, role: GrantRole): Promise<void> {
    const account = accountState.account;
    if (!account) throw new Error('Unlock your account to share.');
    // The pinned keys are checked against the server's again right before anything is sealed to them: keys changed
    // since bring the warning back, and nothing is shared.
    await this.find(contact.handle);
    if (this.step.kind !== 'ready') return;
    const { ring } = await drive.ready();
    await shareNode(account, ring, this.node, this.step.contact, role);
    const folderId = this.node.kind === 'folder' ? this.node.id : null;
    const granting = role === 'editor' ? contact.userId : undefined;
    this.status = `Shared with @${contact.handle} as ${role}.${await this.#rosterSigned(folderId, granting)}`;
    this.step = { kind: 'find' };
    await this.loadAccess();
  }

  /**
   * Ends someone's access at once on the server; for a folder, then rotates its keys and those of every folder below
   * it, so that what is added afterwards is under keys they never had. The members who keep access get new grants,
   * sealed to the keys pinned for them.
   */
  async remove(share: ShareRecord): Promise<void> {
    const account = accountState.account;
    if (!account) throw new Error('Unlock your account to remove access.');
    const who = `@${share.recipientHandle ?? share.recipientId.slice(0, 8)}`;
    const [{ ring }, keys, pinned] = await Promise.all([drive.ready(), sharingKeys(account), contacts.ready()]);
    const rotated = await revokeShare(ring, share, {
      account: { userId: account.userId, masterKey: account.masterKey, signingKey: keys.signing },
      recipientSharingKey: (recipientId) => {
        const contact = pinned.find((person) => person.userId === recipientId);
        if (!contact) {
          throw new Error(
            `A member of this folder (account ${recipientId.slice(0, 8)}) is not in your contacts, so their new key ` +
              'cannot be sealed to a key you pinned. Add them as a contact, then remove access again.',
          );
        }
        return Promise.resolve(decodeBase64url(contact.sharingKey));
      },
      onProgress: ({ foldersDone, foldersTotal }) =>
        (this.status = `${who} no longer has access. Changing this folder's keys: ${foldersDone} of ${foldersTotal} folders…`),
    });
    const roster = await this.#rosterSigned(share.kind === 'folder' ? share.nodeId : null);
    this.status = rotated
      ? `${who} no longer has access, and this folder's keys were changed: what you add from now on is under keys they never had.${roster}`
      : `${who} no longer has access.${roster}`;
    await this.loadAccess();
  }

  /**
   * Signs the folder's editor roster again (docs/FORMAT.md section 5.4), so that its members check its editors' writes
   * by the editors the owner vouches for now, with `granting` the editor just given access: '' once done, or what was
   * not done. Opening the folder retries a removal, never an addition: the roster is what says who is an editor.
   */
  async #rosterSigned(folderId: string | null, granting?: string): Promise<string> {
    const account = accountState.account;
    if (!folderId || !account) return '';
    try {
      await syncEditorRoster(account, await contacts.ready(), folderId, {
        seen: openSeenVersions(account.userId),
        granting,
      });
      return '';
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const retry = granting ? 'share with them again to retry' : 'opening the folder tries again';
      return ` The list of editors its members check was not updated (${why}); ${retry}.`;
    }
  }
}
