/**
 * Progress on stderr for an operator at a terminal: bytes done, rate and time left, redrawn in place. Silent when
 * stderr is not a terminal (cron, pipes, scripts) or with --quiet.
 */
import { formatBytes } from '../../server/storage/usage.ts';

const REDRAW_MS = 250;

export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private drawnAt = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly what: string,
    private readonly totalBytes: number,
    quiet: boolean,
  ) {
    this.enabled = !quiet && process.stderr.isTTY === true;
  }

  add(bytes: number): void {
    this.done += bytes;
    if (this.enabled && Date.now() - this.drawnAt >= REDRAW_MS) this.draw();
  }

  finish(): void {
    if (!this.enabled) return;
    this.draw();
    process.stderr.write('\n');
  }

  private draw(): void {
    this.drawnAt = Date.now();
    const seconds = Math.max((this.drawnAt - this.started) / 1000, 0.001);
    const rate = this.done / seconds;
    const left = rate > 0 ? Math.ceil((this.totalBytes - this.done) / rate) : 0;
    process.stderr.write(
      `\r${this.what}: ${formatBytes(this.done)} of ${formatBytes(this.totalBytes)}, ` +
        `${formatBytes(Math.round(rate))}/s, ${left} s left\x1b[K`,
    );
  }
}
