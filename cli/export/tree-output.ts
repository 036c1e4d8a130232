/**
 * Where `coffer export open` writes the opened tree: a new directory that appears under its name only once every file
 * in it has been decrypted and authenticated. Until then it is a hidden sibling, removed if anything fails, so a
 * refused archive leaves nothing behind.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TreeWriter } from '../../shared/crypto/index.ts';

export class OutputExistsError extends Error {}

export async function treeOutput(
  out: string,
): Promise<TreeWriter & { commit(): Promise<void>; discard(): Promise<void> }> {
  const exists = await stat(out).then(
    () => true,
    () => false,
  );
  if (exists) throw new OutputExistsError(`${out} already exists; give a directory that does not exist yet`);
  const temporary = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
  await mkdir(temporary);
  const at = (path: string[]) => join(temporary, ...path);
  return {
    folder: (path) => mkdir(at(path)).then(() => undefined),
    async file(path, content, modified) {
      await pipeline(Readable.fromWeb(content as never), createWriteStream(at(path), { flags: 'wx' }));
      const time = new Date(modified);
      await utimes(at(path), time, time);
    },
    commit: () => rename(temporary, out),
    discard: () => rm(temporary, { recursive: true, force: true }),
  };
}
