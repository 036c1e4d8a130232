import { describe, expect, it } from 'vitest';
import { RateWindow } from '../../web/src/lib/upload/rate-window.ts';

describe('speeds over a window of samples', () => {
  it('is 0 until the samples span some time, then the change per second of each counter', () => {
    const speeds = new RateWindow(5000);
    expect(speeds.perSecond()).toEqual([]);
    speeds.restart(1000, [100, 0]);
    expect(speeds.perSecond()).toEqual([0, 0]);
    speeds.add(3000, [2100, 4]);
    expect(speeds.perSecond()).toEqual([1000, 2]);
  });

  it('forgets samples older than the window, but keeps two', () => {
    const speeds = new RateWindow(5000);
    speeds.restart(0, [0]);
    speeds.add(1000, [10_000]);
    speeds.add(7000, [16_000]);
    // The sample at 0 is older than 5 s and goes; the one at 1000 stays as the second of two.
    expect(speeds.perSecond()).toEqual([1000]);
    speeds.add(20_000, [16_000]);
    expect(speeds.perSecond()).toEqual([0]);
  });
});
