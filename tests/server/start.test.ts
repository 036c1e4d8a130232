/** `npm start` as a user runs it: a real process on a real port. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../run-command.ts';
import { waitForListening } from './server-process.ts';

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
  it('serves the page and /api/health, and stops on SIGTERM', async () => {
    const child = startCoffer('0');
    let url = '';
    try {
      url = await waitForListening(child);
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
