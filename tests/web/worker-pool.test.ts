import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../web/src/lib/upload/worker-pool.ts';

class FakeWorker {
  terminated = false;
  constructor(readonly id: number) {}
  terminate(): void {
    this.terminated = true;
  }
}

describe('upload worker pool', () => {
  it('reuses given-back workers, starts new ones only when none is idle, and ends the idle ones on drain', () => {
    let created = 0;
    const pool = new WorkerPool(() => new FakeWorker(++created));
    const first = pool.take();
    const second = pool.take();
    expect(created).toBe(2);
    pool.give(first);
    expect(pool.take()).toBe(first);
    expect(created).toBe(2);
    pool.give(first);
    pool.give(second);
    pool.drain();
    expect([first.terminated, second.terminated]).toEqual([true, true]);
    expect(pool.take().id).toBe(3);
  });
});
