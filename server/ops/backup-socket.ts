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
import { dumpDatabase } from './database-dump.ts';

export function backupSocketPath(dataDir: string): string {
  return join(dataDir, 'backup.sock');
}

export async function serveBackupSocket(path: string, db: Database): Promise<Server> {
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
    server.once('error', reject);
    server.listen(path, resolve);
  });
  await chmod(path, 0o600);
  return server;
}
