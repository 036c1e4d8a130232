/** The browser's end of the CDP pipe, and the app's page driven over it with a few commands. */
import { type Readable, type Writable } from 'node:stream';

/**
 * Why the page is not driven by Playwright: Playwright attaches to every page and dedicated worker and enables CDP's
 * Network domain there without a maxPostDataSize, so Chromium copies every request body, base64 encoded, into a
 * DevTools event that crosses to the browser process and to Playwright. The upload worker's PUTs become many times
 * slower (docs/BENCHMARKS.md, "Method"), and every new worker waits for Playwright to attach. So Chromium is started here with --remote-debugging-pipe, over which this
 * file drives the page with a handful of CDP commands, none of which watches the network (the Network and Fetch
 * domains are never enabled); the steps are those of tests/e2e/sign-up.ts and tests/e2e/files.test.ts. (Playwright
 * cannot do the sign-up and then leave: when it disconnected, the tab's virtual authenticator went with it.)
 * BENCH_PLAYWRIGHT=attached also connects Playwright (connectOverCDP) after the sign-up and keeps it connected, to
 * show what it costs.
 */

export const PLAYWRIGHT_ATTACHED = process.env.BENCH_PLAYWRIGHT === 'attached';

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** The browser's end of --remote-debugging-pipe: JSON messages separated by NUL bytes, on fds 3 (in) and 4 (out). */
export class CdpPipe {
  #next = 0;
  #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  #listeners = new Set<(message: CdpMessage) => void>();
  #buffered: Buffer[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.on('data', (data: Buffer) => {
      let start = 0;
      for (let end = data.indexOf(0); end !== -1; start = end + 1, end = data.indexOf(0, start)) {
        this.#buffered.push(data.subarray(start, end));
        this.#dispatch(JSON.parse(Buffer.concat(this.#buffered).toString()) as CdpMessage);
        this.#buffered = [];
      }
      if (start < data.length) this.#buffered.push(data.subarray(start));
    });
  }

  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = ++this.#next;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
    });
  }

  /** Calls `listener` with every event until it returns true. */
  listen(listener: (message: CdpMessage) => boolean): void {
    const wrapped = (message: CdpMessage) => {
      if (listener(message)) this.#listeners.delete(wrapped);
    };
    this.#listeners.add(wrapped);
  }

  #dispatch(message: CdpMessage): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(message.error.message));
      else pending?.resolve(message.result);
      return;
    }
    for (const listener of [...this.#listeners]) listener(message);
  }
}

/** Finds an element by CSS selector and accessible-ish name: its aria-label, else its text outside aria-hidden parts. */
export const FIND = `(selector, name) => [...document.querySelectorAll(selector)].find((element) => {
  const label = element.getAttribute('aria-label');
  const text = [...element.childNodes]
    .filter((node) => !(node.nodeType === 1 && node.getAttribute('aria-hidden') === 'true'))
    .map((node) => node.textContent).join('').trim();
  return (label ?? text) === name;
})`;

/** The app's page, driven over the pipe: evaluate, wait, click with real mouse events, pick files. */
export class PageDriver {
  constructor(
    readonly cdp: CdpPipe,
    readonly sessionId: string,
  ) {}

  send<T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value?: T };
      exceptionDetails?: { exception?: { description?: string }; text: string };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    return result.value as T;
  }

  /**
   * Waits until `expression` is truthy. The page checks it itself, at each change to the document and every 50 ms, for
   * up to a second per evaluation: asking over the protocol every 50 ms cost the page's main thread more than the check
   * (a script compiled and run each time), during the very transfers being measured.
   */
  async waitFor(expression: string, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await this.#metWithinASecond(expression))) {
      if (timeoutMs > 0 && performance.now() > deadline) {
        const text = await this.evaluate<string>(`location.pathname + ': ' + document.body.innerText.slice(0, 500)`);
        throw new Error(`timed out waiting for ${what}; the page shows ${text}`);
      }
    }
  }

  /** False when a second passed without `expression` holding, or when the page navigated away meanwhile. */
  async #metWithinASecond(expression: string): Promise<boolean> {
    const check = `new Promise((resolve) => {
      const met = () => Boolean(${expression});
      if (met()) return resolve(true);
      const finish = (value) => {
        observer.disconnect();
        clearInterval(poll);
        clearTimeout(giveUp);
        resolve(value);
      };
      const observer = new MutationObserver(() => met() && finish(true));
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const poll = setInterval(() => met() && finish(true), 50);
      const giveUp = setTimeout(() => finish(false), 1000);
    })`;
    try {
      return await this.evaluate<boolean>(check);
    } catch (error) {
      if (/context was destroyed|navigated or closed/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  waitForElement(selector: string, name: string, timeoutMs?: number): Promise<void> {
    return this.waitFor(
      `(${FIND})(${JSON.stringify(selector)}, ${JSON.stringify(name)})`,
      `${selector} "${name}"`,
      timeoutMs,
    );
  }

  /** Where the element is, in the viewport, once it exists. */
  async locate(selector: string, name: string): Promise<{ x: number; y: number }> {
    const find = `(${FIND})(${JSON.stringify(selector)}, ${JSON.stringify(name)})`;
    await this.waitFor(find, `${selector} "${name}"`);
    return this.evaluate(`(() => {
      const element = ${find};
      element.scrollIntoView({ block: 'center' });
      const box = element.getBoundingClientRect();
      return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    })()`);
  }

  async clickAt({ x, y }: { x: number; y: number }): Promise<void> {
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
  }

  async click(selector: string, name: string): Promise<void> {
    await this.clickAt(await this.locate(selector, name));
  }

  /** As Playwright's setInputFiles: a file input gets these paths (a directory, for a webkitdirectory input). */
  async setInputFiles(label: string, files: string[]): Promise<void> {
    const { result } = await this.send<{ result: { objectId: string } }>('Runtime.evaluate', {
      expression: `document.querySelector(${JSON.stringify(`input[aria-label="${label}"]`)})`,
    });
    await this.send('DOM.setFileInputFiles', { objectId: result.objectId, files });
  }

  async reload(): Promise<void> {
    await this.send('Page.reload');
    await this.waitFor(`document.readyState === 'complete'`, 'the reload');
  }

  /** The renderer main thread's counters (seconds, and bytes for the heap); see Performance.getMetrics. */
  async metrics(): Promise<Record<string, number>> {
    const { metrics } = await this.send<{ metrics: { name: string; value: number }[] }>('Performance.getMetrics');
    return Object.fromEntries(metrics.map(({ name, value }) => [name, value]));
  }
}
