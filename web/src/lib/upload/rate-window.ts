/** Speeds over the last few seconds, from samples of counters that only grow (bytes stored, files done). */
export class RateWindow {
  #samples: { at: number; counts: readonly number[] }[] = [];

  constructor(private readonly windowMs: number) {}

  /** Forgets the samples: the next speeds count from `at`. */
  restart(at: number, counts: readonly number[]): void {
    this.#samples = [{ at, counts }];
  }

  add(at: number, counts: readonly number[]): void {
    this.#samples.push({ at, counts });
    // Two samples at least, so that a speed is known even when samples arrive further apart than the window.
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > this.windowMs) this.#samples.shift();
  }

  /** Per second, one for each counter; all 0 until the samples span some time. */
  perSecond(): number[] {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.at <= first.at) return first ? first.counts.map(() => 0) : [];
    const seconds = (last.at - first.at) / 1000;
    return last.counts.map((count, i) => (count - first.counts[i]!) / seconds);
  }
}
