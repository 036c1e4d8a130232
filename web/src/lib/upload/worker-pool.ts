/**
 * Upload workers kept from one file to the next: starting a module worker costs the page as much as all
 * the rest of a small file's upload. A task takes the workers it needs and gives back those that finished cleanly; a
 * worker that failed, or whose task was cancelled, may still be at work, so the task terminates it instead and the
 * pool starts a fresh one when next asked.
 */
export class WorkerPool<W extends { terminate(): void } = Worker> {
  #idle: W[] = [];

  constructor(private readonly create: () => W) {}

  take(): W {
    return this.#idle.pop() ?? this.create();
  }

  /** The worker must be idle: its last job reported done or stopped. */
  give(worker: W): void {
    this.#idle.push(worker);
  }

  /** Ends the idle workers, when no upload is left to use them: an idle worker still holds its memory. */
  drain(): void {
    for (const worker of this.#idle) worker.terminate();
    this.#idle = [];
  }
}
