/**
 * The upload queue: a few files at a time, encrypted by pooled workers, or small ones many at a time in batches; totals and rows for the progress panel. A
 * folder can bring thousands of files, so nothing here looks at every task when one of them changes.
 */
import { StartQueue } from './start-queue.ts';
import { Pacer } from './pacer.ts';
import { SmallFileBatches } from './small-file-batches.ts';
import { PROGRESS_INTERVAL_MS, UploadLedger, type Rows, type Totals } from './upload-ledger.ts';
import type { UploadTask } from './upload-task.svelte.ts';
import { WorkerPool } from './worker-pool.ts';

class Uploads {
  /** Every upload of this tab until cleared, oldest first. Not reactive: the panel reads `totals` and `rows`. */
  tasks: UploadTask[] = [];
  /** Counts completed uploads, so that listings can refresh when it changes. */
  completed = $state(0);
  /**
   * `#totalsVersion` is bumped after the changes the ledger records: at once when the rows change too (a status
   * changed, which also bumps `#rowsVersion`), and paced when only bytes moved.
   */
  #totalsVersion = $state(0);
  #rowsVersion = $state(0);
  #totalsPacer = new Pacer(PROGRESS_INTERVAL_MS, () => this.#totalsVersion++);
  #ledger = new UploadLedger<UploadTask>(
    () => performance.now(),
    (rows) => {
      if (!rows) return this.#totalsPacer.soon();
      this.#rowsVersion++;
      this.#totalsPacer.immediately();
    },
  );
  #queue = new StartQueue<UploadTask>();
  #batches = new SmallFileBatches();
  #workers = new WorkerPool(
    // Vite bundles the worker by finding exactly this expression.
    () => new Worker(new URL('./upload-worker.ts', import.meta.url), { type: 'module' }),
  );

  add(tasks: UploadTask[]): void {
    for (const task of tasks) {
      this.tasks.push(task);
      task.observe(this.#ledger);
      this.#ledger.add(task);
      this.#queue.add(task);
    }
    this.#pump();
  }

  /** Starts a paused or failed upload again, from what the server holds, before those not started yet. */
  resume(task: UploadTask): void {
    if (!task.requeue()) return;
    this.#queue.addResumed(task);
    this.#pump();
  }

  /** Resumes every paused or failed upload, listed or not. */
  resumeStopped(): void {
    for (const task of [...this.#ledger.stopped]) this.resume(task);
  }

  clearFinished(): void {
    const finished = (task: UploadTask) => task.status === 'done' || task.status === 'cancelled';
    for (const task of this.tasks) if (finished(task)) task.observe(null);
    this.tasks = this.tasks.filter((task) => !finished(task));
    this.#ledger.clearFinished();
  }

  get totals(): Totals {
    void this.#totalsVersion;
    return this.#ledger.totals();
  }

  get rows(): Rows<UploadTask> {
    void this.#rowsVersion;
    return this.#ledger.rows();
  }

  taskDone(): void {
    this.completed++;
  }

  #pump(): void {
    for (;;) {
      const task = this.#queue.next();
      if (!task) break;
      void task.start(this.#workers, this.#batches).finally(() => {
        this.#queue.settled(task);
        this.#pump();
      });
    }
    if (this.#queue.running.size === 0) this.#workers.drain();
  }
}

export const uploads = new Uploads();
