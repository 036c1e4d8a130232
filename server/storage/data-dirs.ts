/**
 * The directories Coffer writes to on this machine (PGlite's database and the filesystem blob store), checked before
 * anything opens them, so that a directory it cannot write stops the start with one clear line instead of a stack
 * trace from deep inside the database or the blob store.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Config } from '../config.ts';

/** A reason Coffer cannot start, said in one line; main prints it and exits with a non-zero code. */
export class StartupError extends Error {}

export function prepareDataDirs(config: Pick<Config, 'database' | 'blobs'>): void {
  const dirs: [string, string][] = [];
  if ('pgliteDir' in config.database) dirs.push([config.database.pgliteDir, 'DATA_DIR']);
  if (config.blobs.kind === 'fs') dirs.push([config.blobs.root, 'BLOB_DIR (or DATA_DIR)']);
  for (const [dir, variable] of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new StartupError(`cannot write to ${dir} (${code}); set ${variable} to a directory this user can write`);
    }
  }
}

/** The one line that says why the server could not listen. */
export function listenProblem(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use; stop what uses it, or set PORT to another port`;
    case 'EACCES':
      return `this user may not listen on port ${port}; set PORT to a port above 1023`;
    case 'EADDRNOTAVAIL':
      return `HOST ${host} is not an address of this machine`;
    default:
      return `cannot listen on ${host}:${port} (${error.code ?? error.message})`;
  }
}
