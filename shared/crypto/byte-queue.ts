/** A FIFO of bytes that hands out exact-size pieces without re-copying everything it holds on each write. */
export class ByteQueue {
  private readonly pieces: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(bytes);
    this.length += bytes.length;
  }

  /** Removes and returns the first `count` bytes; a view when they lie in one piece, a copy otherwise. */
  take(count: number): Uint8Array {
    if (count > this.length) throw new RangeError(`asked for ${count} bytes, ${this.length} queued`);
    const first = this.pieces[0];
    if (first && first.length - this.head >= count) {
      const out = first.subarray(this.head, this.head + count);
      this.advance(count);
      return out;
    }
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const piece = this.pieces[0]!;
      const n = Math.min(piece.length - this.head, count - filled);
      out.set(piece.subarray(this.head, this.head + n), filled);
      filled += n;
      this.advance(n);
    }
    return out;
  }

  takeAll(): Uint8Array {
    return this.take(this.length);
  }

  private advance(count: number): void {
    this.head += count;
    this.length -= count;
    if (this.head === this.pieces[0]!.length) {
      this.pieces.shift();
      this.head = 0;
    }
  }
}
