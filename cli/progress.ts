/**
 * Progress on stderr for someone at a terminal: bytes done, rate and time left, redrawn in place. Silent when stderr
 * is not a terminal (cron, pipes, scripts) or with --quiet. Shared by the CLI's long commands (backup, verify,
 * restore, encrypt, decrypt) so that they all report alike.
 */
import { formatBytes } from '../server/storage/usage.ts';

const REDRAW_MS = 250;

export interface ProgressOptions {
  /**
   * Nothing is drawn before this much time has passed, and work done sooner leaves no line: for commands run as often
   * on a few bytes as on gigabytes, where a progress line for the small ones would be noise.
   */
  silentForMs?: number;
}

export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private drawnAt = 0;
  private readonly enabled: boolean;
  private readonly silentUntil: number;

  /** `totalBytes` undefined: not known (input from a pipe), so the line gives no time left. */
  constructor(
    private readonly what: string,
    private readonly totalBytes: number | undefined,
    quiet: boolean,
    options: ProgressOptions = {},
  ) {
    this.enabled = !quiet && process.stderr.isTTY === true;
    this.silentUntil = this.started + (options.silentForMs ?? 0);
  }

  add(bytes: number): void {
    this.done += bytes;
    const now = Date.now();
    if (this.enabled && now >= this.silentUntil && now - this.drawnAt >= REDRAW_MS) this.draw();
  }

  finish(): void {
    if (!this.enabled || Date.now() < this.silentUntil) return;
    this.draw();
    process.stderr.write('\n');
  }

  private draw(): void {
    this.drawnAt = Date.now();
    const seconds = Math.max((this.drawnAt - this.started) / 1000, 0.001);
    const rate = this.done / seconds;
    const rateText = `${formatBytes(Math.round(rate))}/s`;
    if (this.totalBytes === undefined) {
      process.stderr.write(`\r${this.what}: ${formatBytes(this.done)}, ${rateText}\x1b[K`);
      return;
    }
    const left = rate > 0 ? Math.ceil(Math.max(this.totalBytes - this.done, 0) / rate) : 0;
    process.stderr.write(
      `\r${this.what}: ${formatBytes(this.done)} of ${formatBytes(this.totalBytes)}, ${rateText}, ${left} s left\x1b[K`,
    );
  }
}
