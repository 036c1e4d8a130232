/**
 * How `coffer backup` dumps an embedded database while the server runs: PGlite belongs to the one process that opened
 * it, so the server dumps it (in one REPEATABLE READ transaction, server/ops/database-dump.ts) for whoever connects to
 * a Unix socket in DATA_DIR. The socket is readable by the server's user only (mode 0600): whoever may open it may
 * already read the database files beside it, so it gives nobody anything new. The answer is one JSON document.
 */
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Database } from '../db/database.ts';
import { StartupError } from '../storage/data-dirs.ts';
import { dumpDatabase } from './database-dump.ts';

/** sun_path holds 108 bytes on Linux (104 on macOS), with the terminating zero. */
const MAX_SOCKET_PATH_BYTES = 103;

export function backupSocketPath(dataDir: string): string {
  return join(dataDir, 'backup.sock');
}

export async function serveBackupSocket(path: string, db: Database): Promise<Server> {
  // Longer paths do not fit a Unix socket's address, and Node would silently listen on a shortened one.
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new StartupError(
      `DATA_DIR is too long for the socket coffer backup reaches the embedded database by (${path} is over ` +
        `${MAX_SOCKET_PATH_BYTES} bytes); set DATA_DIR to a shorter path`,
    );
  }
  // A socket file left by a process that died cannot be listened on again.
  await rm(path, { force: true });
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    dumpDatabase(db).then(
      (dump) => socket.end(JSON.stringify({ dump })),
      (error: unknown) => socket.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          `cannot listen on ${path}, the socket coffer backup reaches the embedded database by ` +
            `(${error.code ?? error.message})`,
        ),
      ),
    );
    server.listen(path, resolve);
  });
  await chmod(path, 0o600);
  return server;
}
