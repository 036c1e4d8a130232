/**
 * A real Coffer process, killed with SIGKILL at random moments while uploads are under way, then restarted, 20 times
 * in a row. After every restart: each file whose completion was acknowledged is listed and downloads byte for byte;
 * every listed file is whole; and every interrupted upload resumes from what the server says arrived, to completion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { COFFER, ROOT } from '../run-command.ts';
import { createSignedInUser } from './accounts.ts';
import { createRoot, createUploadRequest, encryptFile, type EncryptedFile, type UploadInfo } from './client.ts';
import { ORIGIN, type TestUser } from './harness.ts';
import { waitForListening } from '../../tools/harness/server-process.ts';
import { createPostgresDatabase, DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const KILLS = 20;

interface Server {
  child: ChildProcess;
  url: string;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, url: await waitForListening(child) };
}

/** The coffer command on the server's configuration (PGlite's files need the server stopped). */
async function coffer(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [...COFFER, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (part: Buffer) => (stdout += part.toString()));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout };
}

async function kill(server: Server): Promise<void> {
  const exited = once(server.child, 'exit');
  server.child.kill('SIGKILL');
  await exited;
}

describe.each(DATABASE_KINDS)('crash safety on %s', (kind) => {
  let dataDir: string;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let env: Record<string, string>;
  let user: TestUser;
  let server: Server;
  let root: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'coffer-crash-'));
    // The user is written before the server starts: PGlite's files belong to one process at a time.
    if (kind === 'postgres') {
      database = await createPostgresDatabase();
      env = { DATABASE_URL: database.url, DATA_DIR: dataDir, PUBLIC_ORIGIN: ORIGIN };
    } else {
      env = { DATA_DIR: dataDir, PUBLIC_ORIGIN: ORIGIN };
    }
    const handle = await openDatabase(database ? { url: database.url } : { pgliteDir: join(dataDir, 'pglite') });
    const { id, cookie } = await createSignedInUser(handle.db, 1024 ** 3, new Date(Date.now() + 86_400_000));
    await handle.close();
    user = {
      id,
      cookie,
      request: (path, init = {}) =>
        fetch(`${server.url}${path}`, {
          ...init,
          headers: { cookie, origin: ORIGIN, ...(init.headers as Record<string, string>) },
        }),
    };
  });
  afterAll(async () => {
    if (server?.child.exitCode === null && server.child.signalCode === null) await kill(server);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    `loses no completed file, shows no partial one and resumes uploads across ${KILLS} kills`,
    { timeout: 600_000 },
    async () => {
      server = await startServer(env);
      root = await createRoot(user);
      const acknowledged = new Map<string, EncryptedFile>();
      const started = new Map<string, EncryptedFile>();
      let resumed = 0;

      for (let round = 0; round < KILLS; round++) {
        // Uploads of several files at once, each in 4 KiB chunks, racing a kill at a random moment.
        const files = await Promise.all(
          Array.from({ length: 3 }, () =>
            encryptFile(randomBytes(20_000 + Math.floor(Math.random() * 60_000)), { chunkSize: 4096 }),
          ),
        );
        // Settled from the start: requests in flight fail when the server dies, and that is expected.
        const work = Promise.allSettled(
          files.map(async (file) => {
            // Known before asking: the kill may land after the server commits the upload but before it answers.
            started.set(file.nodeId, file);
            const created = await user.request('/api/uploads', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(createUploadRequest(file, root)),
            });
            if (created.status !== 201) return;
            const { uploadId } = (await created.json()) as UploadInfo;
            for (let first = 0; first < file.chunks.length;) {
              const count = Math.min(1 + Math.floor(Math.random() * 4), file.chunks.length - first);
              await putRun(user, uploadId, file, first, count);
              first += count;
            }
            const done = await user.request(`/api/uploads/${uploadId}/complete`, { method: 'POST' });
            if (done.status === 200) acknowledged.set(file.nodeId, file);
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 400));
        await kill(server);
        await work;

        server = await startServer(env);

        // Nothing acknowledged is lost; nothing listed is partial.
        const { children } = (await (await user.request(`/api/nodes/${root}/children`)).json()) as {
          children: { id: string; currentRevision: { id: string } }[];
        };
        const listed = new Set(children.map((child) => child.id));
        for (const nodeId of acknowledged.keys())
          expect(listed, `acknowledged file ${nodeId} is missing`).toContain(nodeId);
        for (const child of children) {
          const file = started.get(child.id)!;
          const content = await user.request(`/api/revisions/${child.currentRevision.id}/content`);
          expectBytes(new Uint8Array(await content.arrayBuffer()), file.ciphertext);
          acknowledged.set(child.id, file);
        }

        // Every interrupted upload resumes from what arrived.
        const { uploads } = (await (await user.request('/api/uploads')).json()) as {
          uploads: (UploadInfo & { nodeId: string })[];
        };
        for (const upload of uploads) {
          const file = started.get(upload.nodeId)!;
          // What is missing, sent again in runs of up to 3 chunks, split differently from the first time.
          for (let first = 0; first < file.chunks.length;) {
            if (upload.received.includes(first)) {
              first++;
              continue;
            }
            let count = 1;
            while (count < 3 && first + count < file.chunks.length && !upload.received.includes(first + count)) count++;
            expect((await putRun(user, upload.uploadId, file, first, count)).status).toBe(204);
            first += count;
          }
          const done = await user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' });
          expect(done.status).toBe(200);
          const content = await user.request(`/api/revisions/${upload.revisionId}/content`);
          expectBytes(new Uint8Array(await content.arrayBuffer()), file.ciphertext);
          acknowledged.set(upload.nodeId, file);
          resumed++;
        }
      }
      expect(acknowledged.size).toBeGreaterThan(0);
      expect(resumed, 'no kill interrupted an upload, so resuming was never exercised').toBeGreaterThan(0);

      // No row points at a missing blob; what the kills left unreferenced, coffer fsck --repair removes.
      await kill(server);
      const fsck = async (...args: string[]) => {
        const result = await coffer(['fsck', '--json', ...args], env);
        return { status: result.status, report: JSON.parse(result.stdout) as Record<string, unknown[]> };
      };
      const found = await fsck();
      expect(found.report.missingBlobs).toEqual([]);
      await fsck('--repair');
      const after = await fsck();
      expect(after.report).toMatchObject({ orphanBlobs: [], missingBlobs: [], halfWrittenUploads: [] });
      expect(after.status).toBe(0);
    },
  );
});

/** Puts chunks [first, first + count) of the file in one request. */
function putRun(user: TestUser, uploadId: string, file: EncryptedFile, first: number, count: number) {
  const run = file.chunks.slice(first, first + count);
  const body = new Uint8Array(run.reduce((total, chunk) => total + chunk.length, 0));
  run.reduce((offset, chunk) => (body.set(chunk, offset), offset + chunk.length), 0);
  return user.request(`/api/uploads/${uploadId}/chunks/${first}?count=${count}`, { method: 'PUT', body });
}
