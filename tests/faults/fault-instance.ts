/**
 * What every fault test needs: a Coffer process whose dependencies the test breaks, an account on it signed up with
 * the software authenticator as a browser would, real encrypted uploads, and the checks that nothing committed was
 * lost (every stored file downloads byte for byte, `coffer fsck` finds nothing to repair).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { expectBytes } from '../crypto/assertions.ts';
import { runCoffer, startInstance, stopInstance, type InstanceEnv, type InstanceProcess } from '../instance-process.ts';
import { TestBrowser } from '../server/browser.ts';
import {
  createRoot,
  download,
  encryptFile,
  ok,
  putChunk,
  uploadFile,
  type EncryptedFile,
  type UploadInfo,
} from '../server/client.ts';
import { ORIGIN, type TestUser } from '../server/harness.ts';
import { signUp } from '../server/passkey-accounts.ts';

export interface StoredFile {
  file: EncryptedFile;
  revisionId: string;
}

/** One server process at a time on `env`, restartable, with one signed-up account whose session outlives restarts. */
export class FaultInstance {
  server: InstanceProcess | undefined;
  readonly browser = new TestBrowser({ app: { request: (path, init) => fetch(`${this.url}${path}`, init) } });
  readonly stored: StoredFile[] = [];
  user!: TestUser;
  root!: string;

  constructor(readonly env: InstanceEnv) {}

  get url(): string {
    if (!this.server) throw new Error('the Coffer process is not running');
    return this.server.url;
  }

  async start(): Promise<void> {
    this.server = await startInstance({ ...this.env, PUBLIC_ORIGIN: ORIGIN });
  }

  async stop(): Promise<void> {
    if (this.server) await stopInstance(this.server);
    this.server = undefined;
  }

  /** Ends the process as a power cut or the OOM killer would: no shutdown at all. */
  async kill(): Promise<void> {
    const child = this.server!.child;
    this.server = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Whether the process is still running (a fault must not take it down). */
  get alive(): boolean {
    return this.server !== undefined && this.server.child.exitCode === null && this.server.child.signalCode === null;
  }

  async signUp(): Promise<void> {
    const { bundle } = await signUp(this.browser);
    this.user = { id: bundle.userId, cookie: '', request: (path, init) => this.browser.request(path, init) };
    this.root = await createRoot(this.user);
  }

  /** Uploads a file of `size` random bytes in full and remembers it as committed. */
  async storeFile(size: number): Promise<StoredFile> {
    const file = await encryptFile(randomBytes(size), { chunkSize: 4096 });
    const { revisionId } = await uploadFile(this.user, file, this.root);
    const stored = { file, revisionId };
    this.stored.push(stored);
    return stored;
  }

  async expectEveryFileIntact(): Promise<void> {
    for (const { file, revisionId } of this.stored) {
      const { response, bytes } = await download(this.user, revisionId);
      expect(response.status, `revision ${revisionId}`).toBe(200);
      expectBytes(bytes, file.ciphertext);
    }
  }

  /** `coffer fsck` on the instance's settings finds no orphan, no missing blob and no half-written upload. */
  async expectFsckClean(): Promise<void> {
    const result = await runCoffer(['fsck', '--json'], this.env);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ orphanBlobs: [], missingBlobs: [], halfWrittenUploads: [] });
  }
}

/** The API's error contract on a refusal: this status, a code, a message; never a hang or a stack. */
export async function expectApiError(response: Response, status: number, code: string): Promise<string> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
  expect(body.error?.code, text).toBe(code);
  expect(body.error?.message).toMatch(/\w/);
  return body.error!.message!;
}

/** A request body that sends its first half, then waits until `release` is called to send the rest. */
export function heldBody(bytes: Uint8Array) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const half = Math.floor(bytes.length / 2);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(bytes.slice(0, half));
      await released;
      controller.enqueue(bytes.slice(half));
      controller.close();
    },
  });
  return { body, release };
}

/** A PUT of one chunk whose body is held half sent (heldBody) until `release`. */
export function putHeldChunk(user: TestUser, uploadId: string, index: number, chunk: Uint8Array) {
  const held = heldBody(chunk);
  const answer = user.request(`/api/uploads/${uploadId}/chunks/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.length) },
    body: held.body,
    duplex: 'half',
  } as RequestInit);
  return { answer, release: held.release };
}

/** Puts the chunks the server says it has not got yet, and completes the upload: what a client does to resume. */
export async function resumeUpload(instance: FaultInstance, uploadId: string, file: EncryptedFile): Promise<void> {
  const { received } = await ok<UploadInfo>(instance.user.request(`/api/uploads/${uploadId}`));
  for (const [index, chunk] of file.chunks.entries()) {
    if (!received.includes(index)) await ok(putChunk(instance.user, uploadId, index, chunk), 204);
  }
  const { revisionId } = await ok<UploadInfo>(
    instance.user.request(`/api/uploads/${uploadId}/complete`, { method: 'POST' }),
  );
  instance.stored.push({ file, revisionId });
}
