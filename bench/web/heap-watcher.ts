/** The JavaScript heaps of the app's page, workers and service worker, read over CDP while a transfer runs. */
import type { PageDriver } from './cdp.ts';
import { FULL_EVERY } from './processes.ts';
import { MB, SAMPLE_EVERY_MS } from './settings.ts';

/**
 * The JavaScript heaps of the page, its dedicated workers and the service worker (Runtime.getHeapUsage: V8's heap
 * and the ArrayBuffer backing stores it holds), every second; their highest sum, and each part of it.
 */
export class HeapWatcher {
  #roles = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #peak = { total: 0, parts: '' };

  constructor(private readonly page: PageDriver) {
    page.cdp.listen((message) => {
      const params = message.params as { sessionId: string; targetInfo?: { type: string } };
      if (message.method === 'Target.attachedToTarget' && params.targetInfo?.type === 'worker') {
        this.#roles.set(params.sessionId, 'workers');
      } else if (message.method === 'Target.detachedFromTarget') this.#roles.delete(params.sessionId);
      return false;
    });
  }

  async start(): Promise<void> {
    this.#roles.set(this.page.sessionId, 'page');
    // Attached without waiting for the debugger and with no domain enabled, workers run as they would.
    await this.page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
    const { cdp } = this.page;
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
    for (const target of targetInfos.filter((info) => info.type === 'service_worker')) {
      const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
        targetId: target.targetId,
        flatten: true,
      });
      this.#roles.set(sessionId, 'service worker');
    }
    this.#peak = { total: 0, parts: '' };
    this.#timer = setInterval(() => void this.#sample(), SAMPLE_EVERY_MS * FULL_EVERY);
  }

  async stop(): Promise<string> {
    clearInterval(this.#timer);
    await this.#sample();
    return this.#peak.parts;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const parts = new Map<string, { heap: number; buffers: number }>();
    await Promise.all(
      [...this.#roles].map(async ([sessionId, role]) => {
        const usage = await this.page.cdp
          .send<{ usedSize: number; backingStorageSize: number }>('Runtime.getHeapUsage', {}, sessionId)
          .catch(() => undefined);
        if (!usage) return;
        const part = parts.get(role) ?? { heap: 0, buffers: 0 };
        parts.set(role, { heap: part.heap + usage.usedSize, buffers: part.buffers + usage.backingStorageSize });
      }),
    );
    const total = [...parts.values()].reduce((sum, part) => sum + part.heap + part.buffers, 0);
    if (total > this.#peak.total) {
      this.#peak = {
        total,
        parts: [...parts]
          .map(([role, { heap, buffers }]) => `${role} ${(heap / MB).toFixed(0)} + ${(buffers / MB).toFixed(0)}`)
          .join(', '),
      };
    }
    this.#busy = false;
  }
}
