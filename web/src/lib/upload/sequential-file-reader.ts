/**
 * Reads a file's byte ranges, in order, from one stream of the file, straight into one reused buffer.
 *
 * `Blob.arrayBuffer()` of each segment makes a new array each time, and Chromium maps arrays that large afresh from
 * the system, so every byte uploaded would first cost a page fault and the zeroing of a new page (docs/BENCHMARKS.md,
 * "The web app's upload"). A BYOB reader has the stream copy into the buffer it is given, so reading makes no garbage
 * at all. Consecutive ranges share one stream, read to its end or
 * cancelled.
 */

/**
 * Every reader not yet closed. Chromium's garbage collector may take a Blob's stream that nothing outside its own
 * pending read refers to, and that read then never settles: with the worker's code waiting on it, nothing else held
 * the reader, and uploads stalled for good; held here, they do not (docs/BENCHMARKS.md, "The web app's upload").
 */
const openReaders = new Set<ReadableStreamBYOBReader>();

export class SequentialFileReader {
  readonly #file: Blob;
  #reader: ReadableStreamBYOBReader | undefined;
  /** The file offset of the stream's next byte. */
  #position = 0;
  /** Each read transfers the buffer into the stream and back, so this is always the buffer as last returned. */
  #buffer = new ArrayBuffer(0);

  constructor(file: Blob) {
    this.#file = file;
  }

  /**
   * Bytes `start` to `end` (exclusive) of the file. The array returned lasts until the next call, which takes its
   * memory back for the stream (the array is then empty). A range that does not follow the last one starts a new
   * stream there.
   */
  async read(start: number, end: number): Promise<Uint8Array> {
    if (!this.#reader || start !== this.#position) await this.#openAt(start);
    const length = end - start;
    if (this.#buffer.byteLength < length) this.#buffer = new ArrayBuffer(length);
    for (let filled = 0; filled < length;) {
      const { value, done } = await this.#reader!.read(new Uint8Array(this.#buffer, filled, length - filled));
      if (done || !value) {
        throw new Error(`the file ended at byte ${start + filled}, before byte ${end}; was it changed on disk?`);
      }
      this.#buffer = value.buffer;
      filled += value.byteLength;
    }
    this.#position = end;
    return new Uint8Array(this.#buffer, 0, length);
  }

  /** Cancels the stream, so that the browser stops reading the file. */
  async close(): Promise<void> {
    const reader = this.#reader;
    if (!reader) return;
    this.#reader = undefined;
    openReaders.delete(reader);
    await reader.cancel();
  }

  async #openAt(start: number): Promise<void> {
    await this.close();
    this.#reader = this.#file.slice(start).stream().getReader({ mode: 'byob' });
    openReaders.add(this.#reader);
    this.#position = start;
  }
}
