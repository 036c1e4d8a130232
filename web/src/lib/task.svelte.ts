/**
 * A user action in flight: `busy` while it runs (buttons disable themselves), and a readable `error` if it failed,
 * cleared when the next one starts.
 */
import { describeError } from './errors.ts';

export class Task {
  busy = $state(false);
  error = $state('');

  async run(work: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      await work();
    } catch (caught) {
      this.error = describeError(caught);
    } finally {
      this.busy = false;
    }
  }
}
