/**
 * Graceful shutdown of the built server (`npm run build` first), as a supervisor stops it: SIGTERM while a request is
 * in flight. The slow request is a sign-in whose body is sent in two parts; `Expect: 100-continue` makes the server
 * say when it has read the request's head, so that the signal comes while the request is surely in flight.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../run-command.ts';
import { waitForListening } from '../../tools/harness/server-process.ts';

const ORIGIN = 'http://localhost:8080';

interface Coffer {
  child: ChildProcessWithoutNullStreams;
  url: URL;
  /** The JSON lines the process has logged so far. */
  logged: () => { msg?: string; [key: string]: unknown }[];
}

const started: { child: ChildProcessWithoutNullStreams; dataDir: string }[] = [];

async function startBuiltCoffer(shutdownTimeoutMs: number): Promise<Coffer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'coffer-shutdown-'));
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      BLOB_STORE: '',
      PUBLIC_ORIGIN: ORIGIN,
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push({ child, dataDir });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const url = new URL(await waitForListening(child));
  const logged = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string });
  return { child, url, logged };
}

/** A sign-in whose head the server has read and whose body has only half arrived. */
async function halfSentRequest(url: URL) {
  const body = Buffer.from(JSON.stringify({ response: 'not a passkey assertion' }));
  const sent = request(url.origin + '/api/auth/sign-in/verify', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': body.length,
      origin: ORIGIN,
      expect: '100-continue',
    },
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    sent.on('response', resolve).on('error', reject);
  });
  sent.flushHeaders();
  await once(sent, 'continue');
  sent.write(body.subarray(0, 10));
  return { answered, finish: () => sent.end(body.subarray(10)) };
}

const refused = (url: URL) =>
  fetch(new URL('/healthz', url)).then(
    () => 'answered',
    (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
  );

afterEach(async () => {
  for (const { child, dataDir } of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  }
});

describe('graceful shutdown of the built server', () => {
  it('on SIGTERM refuses new connections, finishes the request in flight, and exits 0', async () => {
    const coffer = await startBuiltCoffer(60_000);
    expect(await (await fetch(new URL('/healthz', coffer.url))).json()).toEqual({ status: 'ok' });
    const slow = await halfSentRequest(coffer.url);
    const exited = once(coffer.child, 'exit');
    coffer.child.kill('SIGTERM');
    await expect
      .poll(() => coffer.logged().map((line) => line.msg))
      .toContainEqual(expect.stringMatching(/^shutting down/));
    expect(await refused(coffer.url)).toBe('ECONNREFUSED');
    expect(coffer.child.exitCode).toBeNull();

    slow.finish();
    const response = await slow.answered;
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    // The route read the whole body and answered it: a refusal of the body, not of the connection.
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toMatchObject({ error: { code: expect.any(String) } });

    const [code] = await exited;
    expect(code).toBe(0);
    expect(coffer.logged()).toContainEqual(expect.objectContaining({ msg: 'stopped', cutOff: false }));
  });

  it('cuts off a request still unfinished at SHUTDOWN_TIMEOUT_MS, and still exits 0', async () => {
    const coffer = await startBuiltCoffer(300);
    const stuck = await halfSentRequest(coffer.url);
    const cut = stuck.answered.then(
      () => 'answered',
      (error: Error & { code?: string }) => error.code ?? error.message,
    );
    const exited = once(coffer.child, 'exit');
    coffer.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(await cut).toBe('ECONNRESET');
    expect(coffer.logged()).toContainEqual(expect.objectContaining({ msg: 'stopped', cutOff: true }));
  });
});
