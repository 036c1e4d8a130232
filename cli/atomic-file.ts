/** A file that appears under its name only when complete: written to a temporary file, synced, then renamed. */
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export function atomicFileSink(path: string) {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  const stream = createWriteStream(temporary, { flags: 'wx' });
  return {
    stream,
    async commit() {
      const handle = await open(temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    },
    async discard() {
      stream.destroy();
      await rm(temporary, { force: true });
    },
  };
}
