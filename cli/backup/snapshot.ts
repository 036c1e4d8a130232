/**
 * Taking the database's dump: from the running server over its backup socket when the database is the embedded PGlite
 * (server/ops/backup-socket.ts), otherwise by opening the database here (Postgres, or PGlite with no server running).
 */
import { connect } from 'node:net';
import type { Config } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { backupSocketPath } from '../../server/ops/backup-socket.ts';
import { dumpDatabase, type DatabaseDump } from '../../server/ops/database-dump.ts';
import { BackupError } from '../../server/backup/backup-error.ts';

export async function takeDump(config: Config): Promise<{ dump: DatabaseDump; kind: 'pglite' | 'postgres' }> {
  if ('pgliteDir' in config.database) {
    const answer = await askRunningServer(backupSocketPath(config.dataDir));
    if (answer) return { dump: answer, kind: 'pglite' };
  }
  const database = await openDatabase(config.database);
  try {
    return { dump: await dumpDatabase(database.db), kind: database.kind };
  } finally {
    await database.close();
  }
}

/** True when a server holds the embedded database: then nothing else may open it. */
export async function serverIsRunning(config: Config): Promise<boolean> {
  if (!('pgliteDir' in config.database)) return false;
  return new Promise((resolve) => {
    const socket = connect(backupSocketPath(config.dataDir));
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The running server's dump, or undefined when no server listens on the socket. */
async function askRunningServer(path: string): Promise<DatabaseDump | undefined> {
  const text = await new Promise<string | undefined>((resolve, reject) => {
    const socket = connect(path);
    const parts: Buffer[] = [];
    let connected = false;
    socket.once('connect', () => (connected = true));
    socket.on('data', (part: Buffer) => parts.push(part));
    socket.once('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (!connected && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')) resolve(undefined);
      else reject(new BackupError(`the server's backup socket ${path} failed: ${error.message}`));
    });
  });
  if (text === undefined) return undefined;
  let answer: { dump?: DatabaseDump; error?: string };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new BackupError(`the server's backup socket ${path} answered something cut short or not JSON`);
  }
  if (!answer.dump) throw new BackupError(`the server could not dump its database: ${answer.error}`);
  return answer.dump;
}
