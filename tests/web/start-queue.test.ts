import { describe, expect, it } from 'vitest';
import { BATCHED_UP_TO, FILES_PER_BATCH } from '../../web/src/lib/upload/small-file-batches.ts';
import {
  BATCHED_FILES_AT_ONCE,
  FILES_AT_ONCE,
  SMALL_FILE_BELOW,
  SMALL_FILES_AT_ONCE,
  StartQueue,
  type QueuedTask,
} from '../../web/src/lib/upload/start-queue.ts';
import type { UploadStatus } from '../../web/src/lib/upload/upload-ledger.ts';

interface Task extends QueuedTask {
  name: string;
  status: UploadStatus;
}

const tiny = (name: string): Task => ({ name, size: BATCHED_UP_TO, status: 'queued' });
const small = (name: string): Task => ({ name, size: BATCHED_UP_TO + 1, status: 'queued' });
const large = (name: string): Task => ({ name, size: SMALL_FILE_BELOW, status: 'queued' });

/** Takes every task that may start now, and marks them started as UploadTask.start does. */
function startAll(queue: StartQueue<Task>): string[] {
  const started: string[] = [];
  for (let task = queue.next(); task; task = queue.next()) {
    task.status = 'uploading';
    started.push(task.name);
  }
  return started;
}

describe('start queue', () => {
  it('starts large files two at a time, in order', () => {
    const queue = new StartQueue<Task>();
    const tasks = ['a', 'b', 'c'].map(large);
    for (const task of tasks) queue.add(task);
    expect(startAll(queue)).toEqual(['a', 'b']);
    expect(FILES_AT_ONCE).toBe(2);
    queue.settled(tasks[0]!);
    expect(startAll(queue)).toEqual(['c']);
    expect(queue.running).toEqual(new Set([tasks[1], tasks[2]]));
  });

  it('starts more small files at once', () => {
    const queue = new StartQueue<Task>();
    const tasks = Array.from({ length: 10 }, (_, i) => small(`f${i}`));
    for (const task of tasks) queue.add(task);
    expect(startAll(queue)).toHaveLength(SMALL_FILES_AT_ONCE);
    expect(SMALL_FILES_AT_ONCE).toBeGreaterThan(FILES_AT_ONCE);
    queue.settled(tasks[1]!);
    expect(startAll(queue)).toEqual([`f${SMALL_FILES_AT_ONCE}`]);
  });

  it('starts two batches of files small enough to share a request', () => {
    const queue = new StartQueue<Task>();
    const tasks = Array.from({ length: 3 * FILES_PER_BATCH }, (_, i) => tiny(`t${i}`));
    for (const task of tasks) queue.add(task);
    expect(startAll(queue)).toHaveLength(BATCHED_FILES_AT_ONCE);
    expect(BATCHED_FILES_AT_ONCE).toBe(2 * FILES_PER_BATCH);
    queue.settled(tasks[0]!);
    expect(startAll(queue)).toEqual([`t${BATCHED_FILES_AT_ONCE}`]);
  });

  it('lets a large file at the head wait for room, and the small ones behind it with it', () => {
    const queue = new StartQueue<Task>();
    const [first, second, big, after] = [small('s1'), small('s2'), large('big'), small('s3')];
    for (const task of [first!, second!, big!, after!]) queue.add(task);
    expect(startAll(queue)).toEqual(['s1', 's2']);
    queue.settled(first!);
    expect(startAll(queue)).toEqual(['big', 's3']);
  });

  it('skips tasks cancelled while they waited', () => {
    const queue = new StartQueue<Task>();
    const tasks = ['a', 'b', 'c'].map(large);
    for (const task of tasks) queue.add(task);
    tasks[0]!.status = 'cancelled';
    expect(startAll(queue)).toEqual(['b', 'c']);
  });

  it('starts a resumed task before those never started', () => {
    const queue = new StartQueue<Task>();
    const tasks = ['a', 'b', 'c', 'd'].map(large);
    for (const task of tasks) queue.add(task);
    expect(startAll(queue)).toEqual(['a', 'b']);
    tasks[0]!.status = 'paused';
    queue.settled(tasks[0]!);
    tasks[0]!.status = 'queued';
    queue.addResumed(tasks[0]!);
    expect(startAll(queue)).toEqual(['a']);
    queue.settled(tasks[1]!);
    expect(startAll(queue)).toEqual(['c']);
  });

  it('hands out ten thousand tasks in the order they came', () => {
    const queue = new StartQueue<Task>();
    const tasks = Array.from({ length: 10_000 }, (_, i) => small(`f${i}`));
    for (const task of tasks) queue.add(task);
    const order: string[] = [];
    for (let task = queue.next(); task; task = queue.next()) {
      order.push(task.name);
      task.status = 'done';
      queue.settled(task);
    }
    expect(order).toEqual(tasks.map((task) => task.name));
    expect(queue.running.size).toBe(0);
  });
});
