/**
 * Reads a put body in pieces of a size the caller chooses (a whole small object, or one multipart part), counting
 * the bytes taken, so a driver holds at most one piece in memory and can tell when the body is longer than declared.
 */
export class BodyReader {
  /** Bytes handed out so far. */
  received = 0;
  readonly #bytes: Uint8Array | undefined;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** The part of the last chunk read from the stream that the previous piece did not take. */
  #rest: Uint8Array = new Uint8Array(0);

  constructor(body: ReadableStream<Uint8Array> | Uint8Array) {
    if (body instanceof Uint8Array) this.#bytes = body;
    else this.#reader = body.getReader();
  }

  /** The next `length` bytes, fewer only when the body ends first (an empty array once it has ended). */
  async read(length: number): Promise<Uint8Array> {
    if (this.#bytes) {
      const piece = this.#bytes.subarray(this.received, this.received + length);
      this.received += piece.byteLength;
      return piece;
    }
    const piece = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      if (this.#rest.byteLength === 0) {
        const { done, value } = await this.#reader!.read();
        if (done) break;
        this.#rest = value;
      }
      const taken = this.#rest.subarray(0, length - filled);
      piece.set(taken, filled);
      filled += taken.byteLength;
      this.#rest = this.#rest.subarray(taken.byteLength);
    }
    this.received += filled;
    return piece.subarray(0, filled);
  }

  /** Tells the producer nobody will read the rest. */
  async cancel(reason: unknown): Promise<void> {
    // Rejects (ignored) if the body stream itself failed.
    await this.#reader?.cancel(reason).catch(() => undefined);
  }
}
