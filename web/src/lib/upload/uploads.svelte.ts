/** The upload queue: a few files at a time, each encrypted by its own workers; totals for the progress panel. */
import type { UploadTask } from './upload-task.svelte.ts';

/** Files uploaded at once. Each large file already keeps two workers and four requests busy. */
const FILES_AT_ONCE = 2;

class Uploads {
  tasks = $state<UploadTask[]>([]);
  /** Counts completed uploads, so that listings can refresh when it changes. */
  completed = $state(0);

  add(tasks: UploadTask[]): void {
    this.tasks.push(...tasks);
    this.pump();
  }

  /** Starts a paused or failed upload again, from what the server holds. */
  resume(task: UploadTask): void {
    if (task.status !== 'paused' && task.status !== 'failed') return;
    task.status = 'queued';
    this.pump();
  }

  clearFinished(): void {
    this.tasks = this.tasks.filter((task) => !['done', 'cancelled'].includes(task.status));
  }

  get totals() {
    const counted = this.tasks.filter((task) => task.status !== 'cancelled');
    const size = counted.reduce((sum, task) => sum + task.size, 0);
    const sent = counted.reduce((sum, task) => sum + task.sent, 0);
    const rate = counted.reduce((sum, task) => sum + (task.active ? task.rate : 0), 0);
    const waiting = counted.filter((task) => task.status !== 'done').length;
    return { size, sent, rate, waiting, secondsLeft: rate > 0 ? (size - sent) / rate : null };
  }

  taskDone(): void {
    this.completed++;
  }

  private pump(): void {
    let running = this.tasks.filter((task) => task.active).length;
    for (const task of this.tasks) {
      if (running >= FILES_AT_ONCE) break;
      if (task.status !== 'queued') continue;
      running++;
      void task.start().finally(() => this.pump());
    }
  }
}

export const uploads = new Uploads();
