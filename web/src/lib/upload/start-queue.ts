/**
 * Which queued upload starts next, and whether it may start now: in the order they were added, resumed ones first.
 * Taking one is a constant step, however many wait behind it.
 */
import { BATCHED_UP_TO, FILES_PER_BATCH } from './small-file-batches.ts';
import type { UploadStatus } from './upload-ledger.ts';

export interface QueuedTask {
  readonly status: UploadStatus;
  readonly size: number;
}

/** Files uploaded at once. Each large file already keeps a worker and three requests busy. */
export const FILES_AT_ONCE = 2;
/**
 * A small file's upload is three round trips (create, one PUT, complete) that keep neither the processor nor the link
 * busy, so more go at once; not six, as browsers open at most six connections to a server and listings need some.
 */
export const SMALL_FILES_AT_ONCE = 4;
export const SMALL_FILE_BELOW = 1024 * 1024;

export class StartQueue<T extends QueuedTask> {
  #resumed = new Fifo<T>();
  #fresh = new Fifo<T>();
  /** Started and not yet settled: uploading, pausing or completing, or cancelled and still winding down. */
  readonly running = new Set<T>();

  add(task: T): void {
    this.#fresh.push(task);
  }

  /** A resumed upload goes before those never started: someone asked for it just now. */
  addResumed(task: T): void {
    this.#resumed.push(task);
  }

  /** The next task to start, now counted as running; undefined when none may start yet. */
  next(): T | undefined {
    for (;;) {
      const queue = this.#resumed.length > 0 ? this.#resumed : this.#fresh;
      const task = queue.peek();
      if (!task) return undefined;
      // Cancelled while it waited: it never starts.
      if (task.status !== 'queued') {
        queue.drop();
        continue;
      }
      // In order: a large file at the head waits for room rather than let the small ones behind it pass.
      if (this.running.size >= filesAtOnce(task.size)) return undefined;
      queue.drop();
      this.running.add(task);
      return task;
    }
  }

  settled(task: T): void {
    this.running.delete(task);
  }
}

/** Files that go in batches: two batches' worth, one being prepared while the other is sent. */
export const BATCHED_FILES_AT_ONCE = 2 * FILES_PER_BATCH;

function filesAtOnce(size: number): number {
  if (size <= BATCHED_UP_TO) return BATCHED_FILES_AT_ONCE;
  return size < SMALL_FILE_BELOW ? SMALL_FILES_AT_ONCE : FILES_AT_ONCE;
}

/** A first-in first-out queue whose removals are constant steps, which Array.prototype.shift does not promise. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  drop(): void {
    this.#head++;
    // Once half is taken, copying the rest costs no more than the removals so far did.
    if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
