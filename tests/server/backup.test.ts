/**
 * The restore drill: accounts and files made through the HTTP API of a real server process on the embedded defaults
 * (PGlite and blobs on disk), `coffer backup` while it runs (one upload still in flight), the instance wiped, and
 * `coffer restore` into a new PGlite+fs instance and into Postgres with a Ceph RGW bucket; on each, a server started
 * on the restored data serves every file byte for byte, with the sessions that made them, and `coffer fsck` is clean.
 * Then: a second backup copies only new blobs; verify catches an altered blob and an altered dump; restore refuses a
 * non-empty instance; fsck finds the orphans a crash mid-purge leaves and a missing blob, and --repair removes the
 * orphans.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBytes } from '../crypto/assertions.ts';
import { runCoffer, startInstance, stopInstance, type InstanceEnv, type InstanceProcess } from '../instance-process.ts';
import { TestBrowser } from './browser.ts';
import {
  createRoot,
  download,
  encryptFile,
  ok,
  putChunk,
  startUpload,
  uploadFile,
  type EncryptedFile,
} from './client.ts';
import { ORIGIN, type TestUser } from './harness.ts';
import { signUp } from './passkey-accounts.ts';
import { createBucket, startCephRgw, type CephRgw } from '../../tools/harness/ceph-rgw.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';

/** Every instance has the origin the browsers' sessions were made on, so their cookies carry over. */
const startServer = (env: InstanceEnv) => startInstance({ ...env, PUBLIC_ORIGIN: ORIGIN });

async function cofferJson<T>(args: string[], env: InstanceEnv): Promise<T> {
  const result = await runCoffer([...args, '--json'], env);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** A browser's session on a server process; the same cookies carry over to a server on the restored data. */
function userOn(browser: TestBrowser, id: string): TestUser {
  return { id, cookie: '', request: (path, init) => browser.request(path, init) };
}

function browserOn(server: { current?: InstanceProcess }): TestBrowser {
  return new TestBrowser({
    app: { request: (path, init) => fetch(`${server.current!.url}${path}`, init) },
  });
}

interface Stored {
  user: TestUser;
  file: EncryptedFile;
  revisionId: string;
}

interface BackupSummary {
  snapshot: string;
  blobs: number;
  copiedBlobs: number;
}

interface FsckReport {
  orphanBlobs: string[];
  missingBlobs: string[];
  halfWrittenUploads: string[];
}

async function expectEveryFile(files: Stored[]): Promise<void> {
  for (const { user, file, revisionId } of files) {
    const { response, bytes } = await download(user, revisionId);
    expect(response.status).toBe(200);
    expectBytes(bytes, file.ciphertext);
  }
}

async function expectFsckClean(env: InstanceEnv): Promise<void> {
  const report = await cofferJson<FsckReport>(['fsck'], env);
  expect(report).toMatchObject({ orphanBlobs: [], missingBlobs: [], halfWrittenUploads: [] });
}

describe('backup and restore', { timeout: 180_000 }, () => {
  const server: { current?: InstanceProcess } = {};
  const files: Stored[] = [];
  const roots = new Map<string, string>();
  let work: string;
  let source: InstanceEnv;
  let dest: string;
  let snapshot: string;
  let inFlight: { uploadId: string; nodeId: string };
  let rgw: CephRgw | undefined;
  let postgres: { url: string; drop: () => Promise<void> } | undefined;
  let cephStarted: Promise<unknown>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-backup-'));
    source = { DATA_DIR: join(work, 'source') };
    dest = join(work, 'backups');
    // Ceph takes a while to start: it does while the first instance is filled.
    cephStarted = Promise.all([startCephRgw(), createPostgresDatabase()]).then(([gateway, database]) => {
      rgw = gateway;
      postgres = database;
    });
    cephStarted.catch(() => undefined);
    server.current = await startServer(source);
  }, 180_000);
  afterAll(async () => {
    if (server.current?.child.exitCode === null) await stopInstance(server.current);
    await cephStarted.catch(() => undefined);
    await Promise.allSettled([rgw?.stop(), postgres?.drop()]);
    await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('backs up a running PGlite instance with an upload in flight, and restores it into a new PGlite+fs instance', async () => {
    for (let account = 0; account < 2; account++) {
      const browser = browserOn(server);
      const { bundle } = await signUp(browser);
      const user = userOn(browser, bundle.userId);
      const root = await createRoot(user);
      roots.set(user.id, root);
      for (const size of [1, 5000]) {
        const file = await encryptFile(randomBytes(size), { chunkSize: 1024 });
        const { revisionId } = await uploadFile(user, file, root);
        files.push({ user, file, revisionId });
      }
    }
    // An upload with some of its chunks stored when the backup is taken, completed after it.
    const { user } = files[0]!;
    const pending = await encryptFile(randomBytes(4000), { chunkSize: 1024 });
    const upload = await startUpload(user, pending, roots.get(user.id));
    await ok(putChunk(user, upload.uploadId, 0, pending.chunks[0]!), 204);
    inFlight = { uploadId: upload.uploadId, nodeId: pending.nodeId };

    const first = await cofferJson<BackupSummary>(['backup', dest], source);
    expect(first.copiedBlobs).toBe(first.blobs);
    snapshot = first.snapshot;
    for (let index = 1; index < pending.chunks.length; index++) {
      await ok(putChunk(user, upload.uploadId, index, pending.chunks[index]!), 204);
    }
    await ok(user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));

    await stopInstance(server.current!);
    await rm(source.DATA_DIR!, { recursive: true, force: true });
    const restored = { DATA_DIR: join(work, 'restored') };
    const summary = await cofferJson<{ accounts: number }>(['restore', snapshot], restored);
    expect(summary.accounts).toBe(2);
    await expectFsckClean(restored);

    server.current = await startServer(restored);
    await expectEveryFile(files);
    // The upload that was in flight is cleanly gone: no upload to resume, no file half there.
    expect((await user.request(`/api/uploads/${inFlight.uploadId}`)).status).toBe(404);
    expect((await user.request(`/api/nodes/${inFlight.nodeId}`)).status).toBe(404);

    source.DATA_DIR = restored.DATA_DIR;
  });

  it('copies only the blobs earlier snapshots lack', async () => {
    const { user } = files[0]!;
    const file = await encryptFile(randomBytes(3000), { chunkSize: 1024 });
    const { revisionId } = await uploadFile(user, file, roots.get(user.id));
    files.push({ user, file, revisionId });
    const second = await cofferJson<BackupSummary>(['backup', dest], source);
    expect(second.copiedBlobs).toBe(file.chunks.length);
    expect(second.blobs).toBeGreaterThan(second.copiedBlobs);
    snapshot = second.snapshot;
    const verified = await cofferJson<{ problems: string[] }>(['backup', 'verify', snapshot], {});
    expect(verified.problems).toEqual([]);
  });

  it('restores a PGlite+fs snapshot into Postgres with a Ceph RGW bucket', async () => {
    await cephStarted;
    const bucket = `coffer-restore-${Date.now()}`;
    await createBucket(rgw!, bucket);
    const target: InstanceEnv = {
      DATA_DIR: join(work, 'on-postgres'),
      DATABASE_URL: postgres!.url,
      BLOB_STORE: 's3',
      S3_ENDPOINT: rgw!.endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: rgw!.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw!.secretAccessKey,
    };
    await cofferJson(['restore', snapshot], target);
    await expectFsckClean(target);
    const refused = await runCoffer(['restore', snapshot], target);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /^coffer: this instance is not empty \(2 account\(s\), blobs in its store\); .*--force/m,
    );

    await stopInstance(server.current!);
    server.current = await startServer(target);
    await expectEveryFile(files);
    await stopInstance(server.current);
    server.current = await startServer(source);
  }, 180_000);

  it('verify finds an altered blob and an altered dump', async () => {
    const altered = join(work, 'altered');
    await cp(dest, altered, { recursive: true });
    const id = snapshot.split('/').at(-1)!;
    const blobKey = `revisions/${files[1]!.revisionId}/0`;
    const blobPath = join(altered, 'blobs', blobKey);
    const blob = await readFile(blobPath);
    blob[10]! ^= 1;
    await writeFile(blobPath, blob);
    const dumpPath = join(altered, 'snapshots', id, 'dump.sql');
    await writeFile(dumpPath, (await readFile(dumpPath, 'utf8')).replace('insert into users', 'insert into  users'));
    const result = await runCoffer(['backup', 'verify', join(altered, 'snapshots', id)], {});
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^dump\.sql does not match the manifest: /m);
    expect(result.stdout).toContain(`blob ${blobKey} does not match the manifest`);
  });

  it('fsck finds the orphans a crash mid-purge leaves and a missing blob; --repair removes the orphans', async () => {
    const blobDir = join(source.DATA_DIR!, 'blobs');
    // A crash between the purge's transaction and its blob deletion: the rows are gone, the blobs stay.
    const purged = files[2]!;
    const orphan = `revisions/${purged.revisionId}/0`;
    const orphanBytes = await readFile(join(blobDir, orphan));
    await ok(purged.user.request(`/api/nodes/${purged.file.nodeId}/trash`, { method: 'POST' }));
    await ok(purged.user.request(`/api/nodes/${purged.file.nodeId}`, { method: 'DELETE' }));
    await stopInstance(server.current!);
    await mkdir(dirname(join(blobDir, orphan)), { recursive: true });
    await writeFile(join(blobDir, orphan), orphanBytes);
    const missing = `revisions/${files[0]!.revisionId}/0`;
    await rm(join(blobDir, missing));

    const found = await runCoffer(['fsck', '--json'], source);
    expect(found.status).toBe(1);
    expect(JSON.parse(found.stdout)).toMatchObject({ orphanBlobs: [orphan], missingBlobs: [missing] });
    const repaired = await runCoffer(['fsck', '--repair', '--json'], source);
    expect(repaired.status).toBe(1);
    const afterRepair = await runCoffer(['fsck', '--json'], source);
    expect(JSON.parse(afterRepair.stdout)).toMatchObject({ orphanBlobs: [], missingBlobs: [missing] });
  });
});
