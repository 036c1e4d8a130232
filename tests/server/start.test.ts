/** `npm start` as a user runs it: a real process on a real port. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../run-command.ts';
import { waitForListening } from '../../tools/harness/server-process.ts';

/** npm does not pass signals on to the server it starts, so the test signals the whole process group. */
function startCoffer(port: string) {
  return spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

describe('npm start', () => {
  it('says where to open Coffer and where its data lives, serves the page and /api/health, and stops on SIGTERM', async () => {
    const child = startCoffer('0');
    let url = '';
    let said = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (said += text));
    try {
      url = await waitForListening(child);
      await expect.poll(() => said).toContain('Open http://localhost:');
      const port = new URL(url).port;
      expect(said).toContain(
        `Open http://localhost:${port} in a browser. Data: database in ${join(ROOT, 'data', 'pglite')}, ` +
          `files in ${join(ROOT, 'data', 'blobs')}`,
      );
      const health = await fetch(`${url}/api/health`);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Coffer');
    } finally {
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    await expect
      .poll(
        () =>
          fetch(`${url}/api/health`).then(
            () => 'up',
            () => 'down',
          ),
        { timeout: 5000 },
      )
      .toBe('down');
  });

  it('refuses a bad PORT with a clear message', async () => {
    const child = startCoffer('eighty');
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const [code] = await once(child, 'exit');
    expect(code).not.toBe(0);
    expect(stderr).toContain('PORT must be a whole number');
  });
});

/**
 * Starts server/main.ts straight from source (as tests/server/crash.test.ts does), waits for it to exit, and answers
 * its exit code and what it said of itself (lines from other sources, such as serveStatic's warning when the web app
 * is not built, are left out), checking that it printed no stack trace.
 */
async function failedStart(env: Record<string, string>): Promise<{ code: number | null; said: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(stderr).not.toMatch(/^\s+at /m);
  return { code, said: stderr.split('\n').filter((line) => line.startsWith('coffer')) };
}

describe('a server that cannot start', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'coffer-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('says in one line that its port is taken, and exits with a non-zero code', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { code, said } = await failedStart({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir });
      expect(code).not.toBe(0);
      expect(said).toEqual([
        `coffer: port ${port} on 127.0.0.1 is already in use; stop what uses it, or set PORT to another port`,
      ]);
    } finally {
      taken.close();
    }
    // It opens its database first: a new PGlite takes half a minute on a busy machine.
  }, 180_000);

  it('says in one line that its data directory cannot be written, and exits with a non-zero code', async () => {
    // A path through a regular file can never become a directory, whoever runs the test (root ignores permissions).
    const file = join(dataDir, 'a-file');
    await writeFile(file, 'not a directory');
    const { code, said } = await failedStart({ PORT: '0', DATA_DIR: join(file, 'data') });
    expect(code).not.toBe(0);
    expect(said).toEqual([
      `coffer: cannot write to ${join(file, 'data', 'pglite')} (ENOTDIR); set DATA_DIR to a directory this user can write`,
    ]);
  });

  it('says in one line which backup setting is wrong and what it got, and exits with a non-zero code', async () => {
    const { code, said } = await failedStart({ DATA_DIR: dataDir, BACKUP_DIR: dataDir, BACKUP_SCHEDULE: 'nightly' });
    expect(code).not.toBe(0);
    expect(said).toEqual([
      'coffer: invalid configuration: BACKUP_SCHEDULE must be a daily UTC time like 03:00, or an interval like 30m ' +
        'or 24h (at most 168h), got "nightly"',
    ]);
  });
});
