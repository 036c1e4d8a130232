/**
 * `npm run bench:argon2`: how long a passphrase's wrapping secret takes (shared/crypto/passphrase-kdf.ts, the code the
 * web app runs) in Node and in headless Chromium, for Argon2id at the default parameters and around them, and for
 * PBKDF2-SHA256 at 600,000 iterations. Prints a Markdown table of medians for docs/BENCHMARKS.md. BENCH_ROUNDS (7)
 * sets the rounds.
 */
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import type { PassphraseParams } from '../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tools/harness/chromium.ts';
import { medianMs } from './argon2-median.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SALT = 'AAECAwQFBgcICQoLDA0ODw';
const argon2 = (memoryMiB: number, passes: number): PassphraseParams => ({
  kdf: 'Argon2id',
  memoryKiB: memoryMiB * 1024,
  passes,
  parallelism: 1,
  salt: SALT,
});
const CASES: [string, PassphraseParams][] = [
  ['Argon2id 19 MiB, 2 passes (the floor)', argon2(19, 2)],
  ['Argon2id 64 MiB, 3 passes (the default)', argon2(64, 3)],
  ['Argon2id 128 MiB, 3 passes', argon2(128, 3)],
  ['Argon2id 256 MiB, 3 passes', argon2(256, 3)],
  ['PBKDF2-SHA256, 600,000 iterations (legacy)', { kdf: 'PBKDF2-SHA256', iterations: 600_000, salt: SALT }],
];

async function inChromium(): Promise<{ version: string; medians: number[] }> {
  const page = await build({
    stdin: {
      contents: `import { medianMs } from './argon2-median.ts'; globalThis.medianMs = medianMs;`,
      resolveDir: new URL('.', import.meta.url).pathname,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'warning',
  });
  const script = page.outputFiles[0]!.text;
  const server = createServer((request, response) => {
    if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else response.writeHead(200, { 'content-type': 'text/html' }).end('<script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await tab.waitForFunction(() => 'medianMs' in globalThis);
    const medians: number[] = [];
    for (const [, params] of CASES) {
      medians.push(
        await tab.evaluate(
          ({ params, rounds }) => (globalThis as unknown as { medianMs: typeof medianMs }).medianMs(params, rounds),
          { params, rounds: ROUNDS },
        ),
      );
    }
    return { version: browser.version(), medians };
  } finally {
    await browser.close();
    server.close();
  }
}

const nodeMedians: number[] = [];
for (const [, params] of CASES) nodeMedians.push(await medianMs(params, ROUNDS));
const browser = await inChromium();

console.log(
  `Node ${process.version}, Chromium ${browser.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; ` +
    `median of ${ROUNDS} derivations, one at a time\n`,
);
console.log('| passphrase KDF | Node (ms) | Chromium (ms) |\n| --- | --: | --: |');
CASES.forEach(([name], i) =>
  console.log(`| ${name} | ${nodeMedians[i]!.toFixed(0)} | ${browser.medians[i]!.toFixed(0)} |`),
);
