import { describe, expect, it } from 'vitest';
import {
  RECENT_ROWS,
  STOPPED_ROWS,
  UploadLedger,
  type LedgerTask,
  type UploadStatus,
} from '../../web/src/lib/upload/upload-ledger.ts';

/** A task as UploadTask reports itself: every change to status or sent goes to the ledger. */
class FakeTask implements LedgerTask {
  status: UploadStatus = 'queued';
  sent = 0;

  constructor(
    readonly name: string,
    readonly size: number,
    private readonly ledger: UploadLedger<FakeTask>,
  ) {}

  move(status: UploadStatus): void {
    const from = this.status;
    this.status = status;
    this.ledger.statusChanged(this, from);
  }

  store(bytes: number): void {
    this.sent += bytes;
    this.ledger.stored(this, bytes);
  }

  recount(held: number): void {
    const delta = held - this.sent;
    this.sent = held;
    this.ledger.recounted(this, delta);
  }
}

function setUp() {
  const clock = { now: 0 };
  const changes: boolean[] = [];
  const ledger = new UploadLedger<FakeTask>(
    () => clock.now,
    (rows) => changes.push(rows),
  );
  const add = (name: string, size: number) => {
    const task = new FakeTask(name, size, ledger);
    ledger.add(task);
    return task;
  };
  return { clock, changes, ledger, add };
}

/** Runs a task from queued to done, storing all its bytes. */
function finish(task: FakeTask): void {
  task.move('uploading');
  task.store(task.size - task.sent);
  task.move('completing');
  task.move('done');
}

describe('upload ledger', () => {
  it('counts files and bytes by status as tasks move', () => {
    const { ledger, add } = setUp();
    const a = add('a', 100);
    const b = add('b', 50);
    const c = add('c', 10);
    expect(ledger.totals()).toMatchObject({ files: 3, done: 0, counted: 3, waiting: 3, moving: 3, size: 160, sent: 0 });

    a.move('uploading');
    a.store(40);
    expect(ledger.totals()).toMatchObject({ moving: 3, sent: 40 });

    finish(b);
    expect(ledger.totals()).toMatchObject({ files: 3, done: 1, counted: 3, waiting: 2, moving: 2, sent: 90 });

    a.move('pausing');
    a.move('paused');
    expect(ledger.totals()).toMatchObject({ waiting: 2, moving: 1 });

    c.move('cancelled');
    expect(ledger.totals()).toMatchObject({ files: 3, counted: 2, waiting: 1, moving: 0, size: 150, sent: 90 });
  });

  it('takes what a cancelled task sent out of the totals, and ignores what it stores afterwards', () => {
    const { ledger, add } = setUp();
    const task = add('a', 100);
    task.move('uploading');
    task.store(30);
    task.move('cancelled');
    // A worker's message already on its way when the task was cancelled.
    task.store(10);
    expect(ledger.totals()).toMatchObject({ size: 0, sent: 0, counted: 0, waiting: 0 });
  });

  it('counts bytes the server already held on resuming, without taking them for speed', () => {
    const { clock, ledger, add } = setUp();
    const sending = add('sending', 1000);
    const resumed = add('resumed', 1000);
    sending.move('uploading');
    sending.store(100);
    resumed.move('uploading');
    resumed.recount(600);
    clock.now = 1000;
    sending.store(100);
    const totals = ledger.totals();
    expect(totals.sent).toBe(800);
    expect(totals.bytesPerSecond).toBe(100);
    expect(totals.secondsLeft).toBe(12);
  });

  it('estimates time left from files per second when many small files remain', () => {
    const { clock, ledger, add } = setUp();
    const big = add('big', 1000);
    const small = Array.from({ length: 10 }, (_, i) => add(`f${i}`, 1));
    big.move('uploading');
    big.store(500);
    clock.now = 1000;
    finish(big);
    small[0]!.move('uploading');
    const totals = ledger.totals();
    // 500 bytes a second would send the ten bytes left at once; each file takes its round trips, a file a second.
    expect(totals.bytesPerSecond).toBe(500);
    expect(totals.waiting).toBe(10);
    expect(totals.secondsLeft).toBe(10);
  });

  it('reports no speed while nothing is under way', () => {
    const { clock, ledger, add } = setUp();
    const task = add('a', 1000);
    task.move('uploading');
    task.store(100);
    clock.now = 1000;
    task.store(100);
    task.move('pausing');
    task.move('paused');
    expect(ledger.totals()).toMatchObject({ bytesPerSecond: 0, secondsLeft: null });
  });

  it('measures speed over the last few seconds only', () => {
    const { clock, ledger, add } = setUp();
    const task = add('a', 1_000_000);
    task.move('uploading');
    for (let second = 0; second <= 20; second++) {
      clock.now = second * 1000;
      // Fast at first, then slow.
      task.store(second < 10 ? 10_000 : 1000);
    }
    expect(ledger.totals().bytesPerSecond).toBe(1000);
  });

  it('lists recent finished, then paused or failed, then under way; waiting ones are only counted', () => {
    const { ledger, add } = setUp();
    const [done, paused, failed, moving, waiting] = ['done', 'paused', 'failed', 'moving', 'waiting'].map((name) =>
      add(name, 10),
    );
    moving!.move('uploading');
    finish(done!);
    paused!.move('uploading');
    paused!.move('pausing');
    paused!.move('paused');
    failed!.move('uploading');
    failed!.move('failed');
    expect(ledger.rows().rows.map((task) => task.name)).toEqual(['done', 'paused', 'failed', 'moving']);
    expect(ledger.rows()).toMatchObject({ moreStopped: 0, moreWaiting: 1 });
    expect(waiting!.status).toBe('queued');
  });

  it('keeps a resumed task in its row while it waits to start again', () => {
    const { ledger, add } = setUp();
    const task = add('a', 10);
    add('b', 10);
    task.move('uploading');
    task.move('failed');
    task.move('queued');
    expect(ledger.rows()).toMatchObject({ rows: [task], moreStopped: 0, moreWaiting: 1 });
    expect(ledger.stopped.has(task)).toBe(true);
    task.move('uploading');
    expect(ledger.rows().rows).toEqual([task]);
    expect(ledger.stopped.has(task)).toBe(false);
  });

  it('caps the finished and the stopped rows, counting the rest', () => {
    const { ledger, add } = setUp();
    const count = 3 * (RECENT_ROWS + STOPPED_ROWS);
    const tasks = Array.from({ length: count }, (_, i) => add(`f${i}`, 1));
    for (const task of tasks.slice(0, 100)) finish(task);
    for (const task of tasks.slice(100, 200)) {
      task.move('uploading');
      task.move('failed');
    }
    tasks[200]!.move('uploading');
    const { rows, moreStopped, moreWaiting } = ledger.rows();
    expect(rows).toHaveLength(RECENT_ROWS + STOPPED_ROWS + 1);
    expect(rows.slice(0, RECENT_ROWS)).toEqual(tasks.slice(100 - RECENT_ROWS, 100));
    expect(rows.slice(RECENT_ROWS, -1)).toEqual(tasks.slice(100, 100 + STOPPED_ROWS));
    expect(rows.at(-1)).toBe(tasks[200]);
    expect(moreStopped).toBe(100 - STOPPED_ROWS);
    expect(moreWaiting).toBe(count - 201);
  });

  it('forgets finished uploads when cleared, and keeps counting the rest', () => {
    const { ledger, add } = setUp();
    const done = add('done', 10);
    const cancelled = add('cancelled', 20);
    const moving = add('moving', 30);
    finish(done);
    cancelled.move('cancelled');
    moving.move('uploading');
    moving.store(5);
    ledger.clearFinished();
    expect(ledger.totals()).toMatchObject({ files: 1, done: 0, counted: 1, waiting: 1, size: 30, sent: 5 });
    expect(ledger.rows().rows).toEqual([moving]);
  });

  it('says after each change whether the rows changed too', () => {
    const { changes, add } = setUp();
    const task = add('a', 10);
    task.move('uploading');
    task.recount(2);
    task.store(3);
    task.move('completing');
    expect(changes).toEqual([true, true, false, false, true]);
  });

  it('stays exact over ten thousand files, with work per change independent of their number', () => {
    const { ledger, add } = setUp();
    const tasks = Array.from({ length: 10_000 }, (_, i) => add(`f${i}`, 1));
    for (const task of tasks) finish(task);
    expect(ledger.totals()).toMatchObject({ files: 10_000, done: 10_000, waiting: 0, size: 10_000, sent: 10_000 });
    expect(ledger.rows().rows).toHaveLength(RECENT_ROWS);
  });
});
