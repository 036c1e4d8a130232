/**
 * Lets frequent changes through at a steady pace. An upload reports each stored segment, many times a second on a
 * fast link, and redrawing the panel that often was most of the page's main-thread work during an upload
 * (docs/BENCHMARKS.md, "The web app's upload"). A change that may wait shows within one
 * interval, and always shows; a change that must show at once (an upload finishing, failing, pausing) does, and takes
 * the waiting ones with it.
 */
export class Pacer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastAt = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly show: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A change that can wait: shown now if nothing was shown for an interval, else at the end of it. */
  soon(): void {
    if (this.#timer !== undefined) return;
    const waitMs = this.#lastAt + this.intervalMs - this.now();
    if (waitMs <= 0) this.immediately();
    else this.#timer = setTimeout(() => this.immediately(), waitMs);
  }

  /** A change that must show now, with any waiting ones. */
  immediately(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastAt = this.now();
    this.show();
  }
}
