/** A file that appears under its name only when complete: written to a temporary file, synced, then renamed. */
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export function atomicFileSink(path: string) {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const stream = createWriteStream(temporary, { flags: 'wx' });
  let failure: Error | undefined;
  // Errors are reported by commit(). Without a listener, a write that completes after discard() destroyed the stream
  // emits an 'error' nobody handles, which crashes the process before the temporary file is removed.
  stream.on('error', (error) => (failure ??= error));
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  return {
    stream,
    async commit() {
      stream.end();
      await closed;
      if (failure) throw failure;
      const handle = await open(temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    },
    /** Removes the temporary file, once the stream has finished opening (if it was still opening) and closed. */
    async discard() {
      stream.destroy();
      await closed;
      await rm(temporary, { force: true });
    },
  };
}
