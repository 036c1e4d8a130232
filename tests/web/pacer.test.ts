import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Pacer } from '../../web/src/lib/upload/pacer.ts';

describe('a pacer of progress updates', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const paced = () => {
    const shownAt: number[] = [];
    const pacer = new Pacer(
      250,
      () => shownAt.push(Date.now()),
      () => Date.now(),
    );
    return { pacer, shownAt };
  };

  it('shows the first change at once, and the changes of the next interval once, at its end', () => {
    const { pacer, shownAt } = paced();
    pacer.soon();
    expect(shownAt).toEqual([0]);
    for (let step = 0; step < 7; step++) {
      vi.advanceTimersByTime(33);
      pacer.soon();
    }
    expect(shownAt).toEqual([0]);
    vi.advanceTimersByTime(1000);
    expect(shownAt).toEqual([0, 250]);
  });

  it('never drops the last change', () => {
    const { pacer, shownAt } = paced();
    pacer.soon();
    vi.advanceTimersByTime(100);
    pacer.soon();
    vi.advanceTimersByTime(1000);
    expect(shownAt).toEqual([0, 250]);
  });

  it('shows an urgent change at once and drops the wait it makes needless', () => {
    const { pacer, shownAt } = paced();
    pacer.soon();
    vi.advanceTimersByTime(100);
    pacer.soon();
    pacer.immediately();
    expect(shownAt).toEqual([0, 100]);
    vi.advanceTimersByTime(1000);
    expect(shownAt).toEqual([0, 100]);
    // The interval counts from the urgent change.
    const { pacer: again, shownAt: againAt } = paced();
    again.immediately();
    vi.advanceTimersByTime(200);
    again.soon();
    vi.advanceTimersByTime(1000);
    expect(againAt.map((at) => at - againAt[0]!)).toEqual([0, 250]);
  });

  it('shows a change after a quiet spell at once', () => {
    const { pacer, shownAt } = paced();
    pacer.soon();
    vi.advanceTimersByTime(5000);
    pacer.soon();
    expect(shownAt).toEqual([0, 5000]);
  });
});
