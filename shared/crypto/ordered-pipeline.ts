/**
 * Keeps up to `limit` asynchronous jobs in flight and emits their results in the order the jobs were started.
 * WebCrypto answers every call asynchronously; overlapping chunks hides that latency (in Node it also lets the
 * thread pool use a second core).
 */
export class OrderedPipeline<T> {
  private readonly inFlight: Promise<T>[] = [];

  constructor(
    private readonly limit: number,
    private readonly emit: (result: T) => void,
  ) {}

  async push(job: Promise<T>): Promise<void> {
    // Results are awaited in order below; this only keeps an early rejection from being reported as unhandled.
    job.catch(() => undefined);
    this.inFlight.push(job);
    while (this.inFlight.length >= this.limit) this.emit(await this.inFlight.shift()!);
  }

  async drain(): Promise<void> {
    while (this.inFlight.length > 0) this.emit(await this.inFlight.shift()!);
  }
}
