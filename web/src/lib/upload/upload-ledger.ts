/**
 * What the upload panel shows, kept up to date as each task reports a change, so that no update looks at every task:
 * a folder of ten thousand files would otherwise cost ten thousand steps for each file that moves.
 */
import { RateWindow } from './rate-window.ts';

export type UploadStatus =
  'queued' | 'uploading' | 'pausing' | 'paused' | 'completing' | 'done' | 'failed' | 'cancelled';

/** What the ledger reads of a task. */
export interface LedgerTask {
  readonly status: UploadStatus;
  readonly size: number;
  /** Plaintext bytes the server holds. */
  readonly sent: number;
}

/** Told by a task of every change to what the ledger counts. */
export interface UploadObserver<T> {
  /** The task's status was `from` until now. */
  statusChanged(task: T, from: UploadStatus): void;
  /** The server just stored `bytes` more of the task's plaintext. */
  stored(task: T, bytes: number): void;
  /** The task learned from the server how much it holds (on starting or resuming): `sent` moved by `delta`. */
  recounted(task: T, delta: number): void;
}

export interface Totals {
  /** Every upload listed, finished ones included until they are cleared. */
  files: number;
  done: number;
  /** Files not cancelled: what `done` counts towards. */
  counted: number;
  /** Neither done nor cancelled. */
  waiting: number;
  /** Waiting to start or under way. */
  moving: number;
  /** Bytes of the files not cancelled, and how many of them the server holds. */
  size: number;
  sent: number;
  /** Over the last few seconds while uploads are under way, else 0. */
  bytesPerSecond: number;
  /** Null when not known. */
  secondsLeft: number | null;
}

export interface Rows<T> {
  /** The latest finished, then the paused or failed (up to STOPPED_ROWS), then those under way. */
  rows: T[];
  /** Paused or failed uploads beyond STOPPED_ROWS. */
  moreStopped: number;
  /** Uploads waiting to start that are not rows. */
  moreWaiting: number;
}

/** Finished uploads the panel keeps listing, so that what just arrived is seen. */
export const RECENT_ROWS = 20;
/** Paused or failed uploads listed with their own controls; a folder that fails as a whole has thousands. */
export const STOPPED_ROWS = 50;
/** Speeds are measured over about this long. */
export const RATE_WINDOW_MS = 5000;
/** Progress is redrawn at most this often: four times a second still moves the bars smoothly. */
export const PROGRESS_INTERVAL_MS = 250;

const STATUSES: readonly UploadStatus[] = [
  'queued',
  'uploading',
  'pausing',
  'paused',
  'completing',
  'done',
  'failed',
  'cancelled',
];
const UNDER_WAY: readonly UploadStatus[] = ['uploading', 'pausing', 'completing'];

interface Bucket {
  files: number;
  size: number;
  sent: number;
}

export class UploadLedger<T extends LedgerTask> implements UploadObserver<T> {
  /** Files and bytes by status: every total is a sum over eight buckets, not over the tasks. */
  #buckets = emptyBuckets();
  /** Under way, in the order they started. */
  #underWay = new Set<T>();
  /** Started once and now paused, failed or queued to start again, in the order they stopped. */
  #stopped = new Set<T>();
  /** Done or cancelled, the latest last. */
  #recent: T[] = [];
  /** Bytes stored and files done so far: they only grow, so that speeds are differences between samples. */
  #stored = 0;
  #finished = 0;
  #speeds = new RateWindow(RATE_WINDOW_MS);

  constructor(
    private readonly now: () => number,
    /** Called after every change; `rows` when the rows changed too. */
    private readonly changed: (rows: boolean) => void,
  ) {}

  add(task: T): void {
    this.#count(task, task.status, 1);
    this.#place(task);
    this.changed(true);
  }

  statusChanged(task: T, from: UploadStatus): void {
    this.#count(task, from, -1);
    this.#count(task, task.status, 1);
    this.#place(task);
    if (task.status === 'done') {
      this.#finished++;
      this.#sample();
    }
    this.changed(true);
  }

  stored(task: T, bytes: number): void {
    this.#buckets[task.status].sent += bytes;
    this.#stored += bytes;
    this.#sample();
    this.changed(false);
  }

  recounted(task: T, delta: number): void {
    this.#buckets[task.status].sent += delta;
    this.changed(false);
  }

  /** Forgets the done and cancelled uploads; the caller stops their reports. */
  clearFinished(): void {
    this.#buckets.done = emptyBucket();
    this.#buckets.cancelled = emptyBucket();
    this.#recent = [];
    this.changed(true);
  }

  /** Paused or failed, or queued again after that. */
  get stopped(): ReadonlySet<T> {
    return this.#stopped;
  }

  totals(): Totals {
    const buckets = this.#buckets;
    let files = 0;
    let size = 0;
    let sent = 0;
    for (const status of STATUSES) {
      files += buckets[status].files;
      if (status === 'cancelled') continue;
      size += buckets[status].size;
      sent += buckets[status].sent;
    }
    const underWay = UNDER_WAY.reduce((sum, status) => sum + buckets[status].files, 0);
    const waiting = files - buckets.done.files - buckets.cancelled.files;
    const { bytesPerSecond, filesPerSecond } = underWay > 0 ? this.#rates() : { bytesPerSecond: 0, filesPerSecond: 0 };
    // Large files are limited by bytes, small ones by round trips per file: the slower estimate is the honest one.
    const estimates = [
      bytesPerSecond > 0 ? (size - sent) / bytesPerSecond : null,
      filesPerSecond > 0 ? waiting / filesPerSecond : null,
    ].filter((seconds) => seconds !== null);
    return {
      files,
      done: buckets.done.files,
      counted: files - buckets.cancelled.files,
      waiting,
      moving: underWay + buckets.queued.files,
      size,
      sent,
      bytesPerSecond,
      secondsLeft: estimates.length > 0 ? Math.max(...estimates) : null,
    };
  }

  rows(): Rows<T> {
    const stopped: T[] = [];
    for (const task of this.#stopped) {
      if (stopped.length === STOPPED_ROWS) break;
      stopped.push(task);
    }
    const queuedRows = stopped.filter((task) => task.status === 'queued').length;
    return {
      rows: [...this.#recent, ...stopped, ...this.#underWay],
      moreStopped: this.#buckets.paused.files + this.#buckets.failed.files - (stopped.length - queuedRows),
      moreWaiting: this.#buckets.queued.files - queuedRows,
    };
  }

  #count(task: T, status: UploadStatus, sign: 1 | -1): void {
    const bucket = this.#buckets[status];
    bucket.files += sign;
    bucket.size += sign * task.size;
    bucket.sent += sign * task.sent;
  }

  /** Moves the task to the rows its status belongs in. A Set keeps a task's place when it is added again. */
  #place(task: T): void {
    const { status } = task;
    if (UNDER_WAY.includes(status)) {
      this.#stopped.delete(task);
      this.#underWay.add(task);
    } else if (status === 'paused' || status === 'failed') {
      this.#underWay.delete(task);
      this.#stopped.add(task);
    } else if (status === 'done' || status === 'cancelled') {
      this.#underWay.delete(task);
      this.#stopped.delete(task);
      this.#recent.push(task);
      if (this.#recent.length > RECENT_ROWS) this.#recent.shift();
    }
    // Queued: a new task waits unlisted, counted in `moreWaiting`; a resumed one keeps its row among the stopped.
  }

  #sample(): void {
    this.#speeds.add(this.now(), [this.#stored, this.#finished]);
  }

  #rates(): { bytesPerSecond: number; filesPerSecond: number } {
    const [bytesPerSecond = 0, filesPerSecond = 0] = this.#speeds.perSecond();
    return { bytesPerSecond, filesPerSecond };
  }
}

function emptyBuckets(): Record<UploadStatus, Bucket> {
  const buckets = {} as Record<UploadStatus, Bucket>;
  for (const status of STATUSES) buckets[status] = emptyBucket();
  return buckets;
}

function emptyBucket(): Bucket {
  return { files: 0, size: 0, sent: 0 };
}
