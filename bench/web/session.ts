/** A fresh Chromium signed up to a Coffer over the CDP pipe, and the user's steps in the app. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, type Writable } from 'node:stream';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tools/harness/chromium.ts';
import { addVirtualAuthenticator } from '../../tools/harness/virtual-authenticator.ts';
import { CdpPipe, FIND, PageDriver, PLAYWRIGHT_ATTACHED } from './cdp.ts';
import { MB } from './settings.ts';

/** As the browser reports it ("HeadlessChrome/..."), from the first session. */
export let chromiumVersion = 'Chromium';

export interface Session {
  cdp: CdpPipe;
  page: PageDriver;
  /** Where Chromium saves downloads (under their CDP guid). */
  downloads: string;
  close(): Promise<void>;
}

/**
 * Chromium with a PRF virtual authenticator on the page; signed up in the UI (by Playwright, then disconnected),
 * reloaded so that the service worker controls the page, and unlocked: the app as users run it.
 */
export async function openSession(origin: string, scratch: string): Promise<Session> {
  const profile = await mkdtemp(join(scratch, 'chromium-'));
  const downloads = join(profile, 'downloads');
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...CHROMIUM_ARGS,
      '--remote-debugging-pipe',
      ...(PLAYWRIGHT_ATTACHED ? ['--remote-debugging-port=0'] : []),
      `--user-data-dir=${profile}`,
      '--window-size=1280,720',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  const endpoint = PLAYWRIGHT_ATTACHED
    ? new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', () => {
          const match = /DevTools listening on ws:\/\/([^/\s]+)/.exec(output);
          if (match) resolve(`http://${match[1]}`);
        });
        child.on('exit', (code) => reject(new Error(`Chromium exited with ${code}:\n${output}`)));
      })
    : undefined;
  const cdp = new CdpPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const close = async () => {
    if (child.exitCode !== null) return;
    const exited = once(child, 'exit');
    await cdp.send('Browser.close').catch(() => undefined);
    await exited;
  };
  try {
    chromiumVersion = (await cdp.send<{ product: string }>('Browser.getVersion')).product;
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
    const target = targetInfos.find((info) => info.type === 'page')!;
    const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
      targetId: target.targetId,
      flatten: true,
    });
    const page = new PageDriver(cdp, sessionId);
    // WebAuthn wants a focused document; a headless page is focused only when emulated (as Playwright does too).
    await page.send('Emulation.setFocusEmulationEnabled', { enabled: true });
    await page.send('WebAuthn.enable');
    // tools/harness/virtual-authenticator.ts sends its one command through whatever has `send`.
    await addVirtualAuthenticator(
      { send: (method: string, params: object) => page.send(method, params) } as never,
      true,
    );

    await signUp(page, origin);
    // The app locks after 15 minutes without a click or a key, which a long upload with nobody at the keyboard
    // outlasts (the panel that says 'Uploads complete' goes with the lock): four hours, the longest Settings offers.
    await page.evaluate(`localStorage.setItem('coffer.idleLockMs', String(4 * 3600 * 1000))`);
    await page.evaluate(`navigator.serviceWorker.ready.then(() => true)`);
    await reloadAndUnlock(page);
    // Connected only now: Playwright's detaching would take the virtual authenticator with it.
    if (endpoint) await chromium.connectOverCDP(await endpoint);
    if (!(await page.evaluate<boolean>(`navigator.serviceWorker.controller?.state === 'activated'`))) {
      throw new Error('the service worker does not control the page after the reload');
    }
    await cdp.send('Browser.setDownloadBehavior', {
      behavior: 'allowAndName',
      downloadPath: downloads,
      eventsEnabled: true,
    });
    return { cdp, page, downloads, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** As tests/e2e/sign-up.ts does it, over the pipe: a passkey, the recovery code confirmed, the unlocked app. */
async function signUp(page: PageDriver, origin: string): Promise<void> {
  await page.send('Page.navigate', { url: origin });
  await page.click('a', 'Create an account');
  await page.click('button', 'Create a passkey');
  await page.click('label', 'I have saved my recovery code somewhere safe');
  await page.waitFor(`!(${FIND})('button', 'Continue').disabled`, 'the Continue button');
  await page.click('button', 'Continue');
  await page.waitFor(`document.querySelector('[data-testid="unlocked"]')`, 'the unlocked app');
}

export async function openFiles(page: PageDriver): Promise<void> {
  await page.click('a', 'Files');
  await page.waitForElement('h1', 'My files');
}

/** After a reload the master key is gone: one touch of the passkey brings it back (as unlockWithPasskey does). */
export async function reloadAndUnlock(page: PageDriver): Promise<void> {
  await page.reload();
  await page.waitFor(`location.pathname === '/unlock'`, 'the unlock page');
  await page.click('button', 'Unlock with your passkey');
  await page.waitFor(`document.querySelector('[data-testid="unlocked"]')`, 'the unlocked app');
}

export interface MainThread {
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  heapMB: number;
}

export const mainThreadSince = (before: Record<string, number>, after: Record<string, number>): MainThread => ({
  taskMs: (after.TaskDuration! - before.TaskDuration!) * 1000,
  scriptMs: (after.ScriptDuration! - before.ScriptDuration!) * 1000,
  layoutMs: (after.LayoutDuration! - before.LayoutDuration!) * 1000,
  styleMs: (after.RecalcStyleDuration! - before.RecalcStyleDuration!) * 1000,
  heapMB: after.JSHeapUsedSize! / MB,
});
