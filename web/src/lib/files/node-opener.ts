/**
 * The page's side of the node opener workers: a folder's children go to up to two workers in equal shares, and come
 * back opened, with the ones that failed their integrity check listed apart. The workers live as long as the key ring
 * that owns them.
 */
import type { NodeRecord } from './node-records.ts';
import type { OpenChildrenReply, OpenChildrenRequest } from './node-opener-protocol.ts';
import { TamperedNodeError, type OpenedRecord } from './open-record.ts';

const MAX_WORKERS = Math.max(1, Math.min(2, globalThis.navigator?.hardwareConcurrency ?? 2));
/** Below this many children a second worker would only wait for its start-up. */
const RECORDS_PER_WORKER = 500;

interface Pending {
  resolve: (reply: OpenChildrenReply) => void;
  reject: (error: Error) => void;
}

export class NodeOpener {
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 0;

  async openChildren(
    ownerId: string,
    parentKey: Uint8Array,
    records: NodeRecord[],
  ): Promise<{ opened: OpenedRecord[]; refused: TamperedNodeError[] }> {
    if (records.length === 0) return { opened: [], refused: [] };
    const shares = Math.min(MAX_WORKERS, Math.ceil(records.length / RECORDS_PER_WORKER));
    const size = Math.ceil(records.length / shares);
    const replies = await Promise.all(
      Array.from({ length: shares }, (_, k) =>
        this.#request(k, { id: this.#nextId++, ownerId, parentKey, records: records.slice(k * size, (k + 1) * size) }),
      ),
    );
    return {
      opened: replies.flatMap((reply) => reply.opened),
      refused: replies.flatMap((reply) =>
        reply.refused.map(({ nodeId, reason }) => new TamperedNodeError(nodeId, reason)),
      ),
    };
  }

  /** Stops the workers; requests still waiting fail. */
  close(): void {
    this.#stop('The account was locked.');
  }

  #stop(reason: string): void {
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
    for (const pending of this.#pending.values()) pending.reject(new Error(reason));
    this.#pending.clear();
  }

  async #request(
    workerIndex: number,
    request: OpenChildrenRequest,
  ): Promise<Extract<OpenChildrenReply, { opened: unknown }>> {
    const worker = this.#worker(workerIndex);
    const reply = await new Promise<OpenChildrenReply>((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
    if ('error' in reply) throw new Error(`Opening the folder failed: ${reply.error}`);
    return reply;
  }

  #worker(index: number): Worker {
    let worker = this.#workers[index];
    if (!worker) {
      // Vite bundles the worker by finding exactly this expression.
      worker = new Worker(new URL('./node-opener-worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (event: MessageEvent<OpenChildrenReply>) => {
        const pending = this.#pending.get(event.data.id);
        this.#pending.delete(event.data.id);
        pending?.resolve(event.data);
      };
      worker.onerror = (event) => {
        // A worker that fails to load answers nothing: fail what waits on it, and start afresh next time.
        event.preventDefault();
        this.#stop(`The folder could not be opened: ${event.message || 'its worker failed to start'}.`);
      };
      this.#workers[index] = worker;
    }
    return worker;
  }
}
