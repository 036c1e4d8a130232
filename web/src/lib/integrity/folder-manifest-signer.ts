/**
 * A writer's re-signing of a folder's manifest (docs/FORMAT.md section 5.3) after it changed the folder's live
 * children. It lists the folder through the same path the folder view does and vouches only for children that open
 * cleanly and that either the current manifest names as they are or this writer has just written: it never signs what
 * failed to open, nor a child the server slipped in. It signs nothing over a manifest the folder view would warn of
 * (older than seen, or not one this writer can check), nor, for a folder with no manifest yet, over a listing with a
 * refused child. The server takes only the next version, so a writer that lost the race reloads and signs again.
 * A child this device signed a write of (pending-writes.ts) is vouched for only in the state it signed, and a write
 * whose re-sign was lost is re-signed in that state at the next visit (resignPending). A child this writer just took
 * out of the folder (trashed, moved away) is never named, however the server lists it; one whose state it rewrote in
 * place (a key rotation) is vouched for only if the manifest it checked named it, so a trashed one is not made live.
 * The owner checks a manifest by an editor it has since removed with the key it pinned for them; one that does not
 * verify counts as none, on a device that has seen no version of the folder only.
 */
import type { PutFolderManifestRequest } from '$shared/api/schemas.ts';
import { manifestEntry, signFolderManifest, type AuthorStatement } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import { listWithAuthors } from '../files/folder-listing.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { NodeRecord } from '../files/node-records.ts';
import type { AuthorRules } from '../files/node-authors.ts';
import { checkManifest, digestOf, manifestWarnings } from './folder-manifest-check.ts';
import type { PendingWrites } from './pending-writes.ts';
import type { SeenVersions } from './seen-versions.ts';

/** Enough for writers racing on one folder; beyond it the next change re-signs. */
const ATTEMPTS = 3;

export interface SignerContext {
  /** The writer's key ring, made after its signer. */
  ring: () => KeyRing;
  seen: SeenVersions;
  pending: PendingWrites;
  /** Who may write in the folder and with which keys, as the folder view knows them (author-rules.ts). */
  rulesFor: (folderId: string, ownerId: string) => Promise<AuthorRules>;
}

/** What else a write did to the folder's children besides `wrote`. */
export interface FolderChange {
  /** Children this writer just took out of the folder (trashed, moved away). */
  removed?: Iterable<string>;
  /** Children whose state this writer rewrote without making them live (a key rotation). */
  rewrote?: Iterable<string>;
}

interface Changes {
  wrote: Set<string>;
  removed: Set<string>;
  rewrote: Set<string>;
}

interface Waiting {
  changes: Changes;
  run: Promise<void>;
}

const lowered = (ids: Iterable<string> = []) => [...ids].map((id) => id.toLowerCase());

/** Adds a later call's changes to those waiting: the latest of a write and a removal of one child wins. */
function join(changes: Changes, wrote: string[], change: FolderChange): void {
  for (const id of wrote) {
    changes.removed.delete(id);
    changes.wrote.add(id);
  }
  for (const id of lowered(change.removed)) {
    changes.wrote.delete(id);
    changes.rewrote.delete(id);
    changes.removed.add(id);
  }
  for (const id of lowered(change.rewrote)) changes.rewrote.add(id);
}

export class FolderManifestSigner {
  readonly #running = new Map<string, Promise<void>>();
  readonly #waiting = new Map<string, Waiting>();

  constructor(private readonly context: SignerContext) {}

  /**
   * Signs the folder's next version naming its children as they now are, `wrote` (the children this writer just
   * wrote) among them and `change.removed` not. A call made while one runs joins the next run, so a burst of uploads
   * signs twice, not once each.
   */
  resign(folderId: string, wrote: Iterable<string> = [], change: FolderChange = {}): Promise<void> {
    const ids = lowered(wrote);
    const waiting = this.#waiting.get(folderId);
    if (waiting) {
      join(waiting.changes, ids, change);
      return waiting.run;
    }
    const changes: Changes = { wrote: new Set(), removed: new Set(), rewrote: new Set() };
    join(changes, ids, change);
    const next: Waiting = { changes, run: Promise.resolve() };
    const before = this.#running.get(folderId) ?? Promise.resolve();
    next.run = before.then(() => {
      this.#waiting.delete(folderId);
      return this.#sign(folderId, next.changes);
    });
    this.#waiting.set(folderId, next);
    // The caller hears of a failure through `next.run`; the chain the next run waits on only says it is over.
    const running = next.run
      .catch(() => undefined)
      .finally(() => {
        if (this.#running.get(folderId) === running) this.#running.delete(folderId);
      });
    this.#running.set(folderId, running);
    return next.run;
  }

  /** Notes a write about to be sent in the journal of writes whose re-sign is pending. */
  async journal(statement: AuthorStatement): Promise<void> {
    if (!statement.parentId) return;
    await this.context.pending.add(statement.parentId, await manifestEntry({ ...statement, id: statement.nodeId }));
  }

  /**
   * Re-signs the folder for those of its refused children that the server lists in a state this device signed a
   * write of and never saw re-signed; false, signing nothing, when there are none.
   */
  async resignPending(folderId: string, refused: readonly NodeRecord[]): Promise<boolean> {
    const pending = await this.context.pending.of(folderId);
    const ids = [];
    for (const record of refused) {
      const digest = await digestOf(record);
      if (pending.some((entry) => entry.id === record.id && entry.digest === digest)) ids.push(record.id);
    }
    if (ids.length === 0) return false;
    await this.resign(folderId, ids);
    return true;
  }

  async #sign(folderId: string, { wrote, removed, rewrote }: Changes): Promise<void> {
    const { seen, pending, rulesFor } = this.context;
    const ring = this.context.ring();
    const writerId = ring.author?.userId;
    const signingKey = await ring.author?.signingKey();
    const ownerId = ring.ownerOf(folderId);
    if (!writerId || !signingKey || !ownerId) return;
    const given = await rulesFor(folderId, ownerId);
    if (!given.writers.has(writerId)) return;
    for (let attempt = 1; ; attempt++) {
      // Read before the listing, so that every write it holds had committed, or never will, when the server listed.
      const journaled = await pending.of(folderId);
      // With a member's share's editor roster, when it verifies: another editor's manifest is checked by it.
      const { folder, checked, rules } = await listWithAuthors(ring, folderId, given, seen);
      if (!folder) return;
      // The owner writes over a manifest by an editor it has since removed (a key rotation after a revocation
      // rewrites every child): that manifest was the folder's state when they signed it, so it is checked with the key
      // this device pinned for them (never one the server names) and, if it verifies, held to as any writer's.
      const signer = folder.manifest?.writerId;
      const overRemovedEditor =
        writerId === ownerId && signer !== undefined && signer !== ownerId && !rules.writers.has(signer);
      const checkedBy = overRemovedEditor
        ? { ...rules, signers: new Set([...(rules.signers ?? rules.writers), signer]) }
        : rules;
      const findings = await checkManifest(folder, checked, checkedBy, seen);
      // One that does not verify (no key pinned for them, or a forgery) counts as none, as for a folder with no
      // manifest yet, but only on a device that has seen no version of the folder: one that has, signs nothing over
      // it. A manifest in the owner's own name that does not verify is a forgery, and nothing is signed over it.
      const unchecked = overRemovedEditor && findings.untrusted !== null && findings.older === null;
      const [problem] = manifestWarnings({
        ...findings,
        missing: 0,
        untrusted: unchecked ? null : findings.untrusted,
        withheld: 0,
      });
      if (problem) throw new Error(`This folder's signed list of contents was not updated. ${problem}`);
      if (!folder.manifest && checked.refused.length > 0) {
        throw new Error(
          "This folder's signed list of contents was not made: some of its items failed the integrity check.",
        );
      }
      const clean = new Set(checked.opened.map((node) => node.id));
      // An unchecked manifest would leave every child unnamed: the owner vouches only for what it just wrote.
      const named = new Set(unchecked ? [] : findings.opened.map((node) => node.id));
      // A child rewritten in place was live only if the checked manifest named it, in any state. With none to check
      // (no manifest yet, or a removed editor's that does not verify), there is no signed state to hold it to: it
      // vouches as a write does.
      const trusted = unchecked ? null : folder.manifest;
      const wasLive = trusted ? new Set(trusted.children.map(({ id }) => id)) : null;
      const children = [];
      for (const record of folder.records) {
        const digest = await digestOf(record);
        if (!digest || removed.has(record.id)) continue;
        // A write this device signed counts only in the state it signed; one it did not sign (a restore from the
        // trash) as the server lists it right after.
        const signedStates = journaled.filter((entry) => entry.id === record.id).map((entry) => entry.digest);
        const asWritten = signedStates.length === 0 || signedStates.includes(digest);
        const rewritten = rewrote.has(record.id) && (wasLive?.has(record.id) ?? true);
        if (named.has(record.id) || ((wrote.has(record.id) || rewritten) && clean.has(record.id) && asWritten)) {
          children.push({ id: record.id, digest });
        }
      }
      const version = (folder.manifest?.version ?? 0) + 1;
      const manifest = await signFolderManifest({ folderId, ownerId, writerId, version, children }, signingKey);
      try {
        await api('PUT', `/api/nodes/${folderId}/manifest`, {
          version,
          children: manifest.children,
          signature: manifest.signature,
        } satisfies PutFolderManifestRequest);
        await seen.remember('folder', folderId, version);
        // Done with: a child now named (in the state it was signed in, or one that superseded it), one no longer
        // listed here, and one this writer took out (so the next visit does not vouch for it again). A child listed in
        // another state than this device signed stays pending.
        const listed = new Set(folder.records.map((record) => record.id));
        const nowNamed = new Set(children.map((entry) => entry.id));
        await pending.settle(
          folderId,
          journaled.filter((entry) => !listed.has(entry.id) || nowNamed.has(entry.id) || removed.has(entry.id)),
        );
        return;
      } catch (error) {
        const stale = error instanceof ApiRequestError && error.code === 'FOLDER_MANIFEST_STALE';
        if (!stale || attempt === ATTEMPTS) throw error;
      }
    }
  }
}
