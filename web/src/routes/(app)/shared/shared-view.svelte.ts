/**
 * "Shared with me": the shares made to this account whose grants verified (lib/sharing/received-shares.ts). Those
 * waiting are answered here, with those the server alone calls accepted; the ones accepted on the account's devices
 * are anchors of the key ring, and their items open as the account's own do, each checked against the key its grant
 * brought.
 */
import type { NodeRecord } from '$shared/api/responses.ts';
import { accountState } from '$lib/account.svelte.ts';
import { api, ApiRequestError } from '$lib/api.ts';
import { drive } from '$lib/files/drive.svelte.ts';
import type { OpenNode } from '$lib/files/node-records.ts';
import { TamperedNodeError } from '$lib/files/open-record.ts';
import { acceptShare, declineShare, removeShare, type ReceivedShare } from '$lib/sharing/received-shares.ts';

export interface AcceptedShare extends ReceivedShare {
  node: OpenNode;
}

export class SharedView {
  pending = $state.raw<ReceivedShare[]>([]);
  accepted = $state.raw<AcceptedShare[]>([]);
  /** Shares whose grant, or whose item, failed its checks: counted, never shown. */
  refused = $state(0);
  /** Accepted shares the server no longer gives: their owner removed them meanwhile. */
  gone = $state(0);
  loaded = $state(false);

  async load(fresh = false): Promise<void> {
    const received = fresh ? await drive.refreshShares() : await drive.received();
    const { ring } = await drive.ready();
    let refused = received.refused.length;
    let gone = 0;
    const accepted: AcceptedShare[] = [];
    for (const share of received.shares.filter((received) => received.accepted)) {
      try {
        const record = await api<NodeRecord>('GET', `/api/nodes/${share.share.nodeId}`);
        accepted.push({ ...share, node: await ring.open(record) });
      } catch (error) {
        if (error instanceof TamperedNodeError) refused++;
        else if (error instanceof ApiRequestError && error.status === 404) gone++;
        else throw error;
      }
    }
    this.pending = received.shares.filter((received) => !received.accepted);
    this.accepted = accepted;
    this.refused = refused;
    this.gone = gone;
    this.loaded = true;
  }

  #account() {
    const account = accountState.account;
    if (!account) throw new Error('Unlock your account to answer a share.');
    return account;
  }

  async accept(share: ReceivedShare): Promise<void> {
    await acceptShare(this.#account(), share);
    await this.load(true);
  }

  async decline(share: ReceivedShare): Promise<void> {
    await declineShare(this.#account(), share);
    await this.load(true);
  }

  async remove(share: ReceivedShare): Promise<void> {
    await removeShare(this.#account(), share);
    await this.load(true);
  }
}
