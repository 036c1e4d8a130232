/**
 * `npm run bench`: throughput of Coffer's stream encryption in Node and in headless Chromium (main thread and Web
 * Workers) for candidate chunk sizes, each as a ratio to node:crypto AES-128-CBC + HMAC-SHA256 (Fernet without
 * Coffer's key derivation, one core) measured in the same run, with Python's Fernet on the same data.
 * Prints a Markdown report for docs/BENCHMARKS.md. BENCH_MIB (default 64) sets the data size, BENCH_ROUNDS (5) the
 * rounds; each figure is the best round.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright';
import { decryptBytes, encryptBytes, generateKey } from '../shared/crypto/index.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tools/harness/chromium.ts';
import type { BrowserResult } from './browser/page.ts';

const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_MIB ?? 64) * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHUNK_SIZES = [64 * 1024, 128 * 1024, 256 * 1024, 512 * 1024, MiB];
const PYTHON = process.env.COFFER_PYTHON ?? '/usr/bin/python3';
const here = fileURLToPath(new URL('.', import.meta.url));

async function best(work: () => Promise<unknown> | unknown): Promise<number> {
  let fastest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    await work();
    fastest = Math.min(fastest, (performance.now() - start) / 1000);
  }
  return fastest;
}

/** Fernet tokens with node:crypto, chunk by chunk on one core: the baseline every other figure is divided by. */
function nodeCryptoFernet(data: Buffer, chunkSize: number) {
  const key = randomBytes(32);
  const [signing, encryption] = [key.subarray(0, 16), key.subarray(16)];
  const encrypt = () => {
    const tokens: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-128-cbc', encryption, iv);
      const prefix = Buffer.alloc(25);
      prefix[0] = 0x80;
      prefix.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)), 1);
      iv.copy(prefix, 9);
      const ciphertext = Buffer.concat([cipher.update(data.subarray(offset, offset + chunkSize)), cipher.final()]);
      const mac = createHmac('sha256', signing).update(prefix).update(ciphertext).digest();
      tokens.push(Buffer.concat([prefix, ciphertext, mac]));
    }
    return tokens;
  };
  const decrypt = (tokens: Buffer[]) =>
    tokens.map((token) => {
      const mac = createHmac('sha256', signing).update(token.subarray(0, -32)).digest();
      if (!timingSafeEqual(mac, token.subarray(-32))) throw new Error('baseline MAC mismatch');
      const decipher = createDecipheriv('aes-128-cbc', encryption, token.subarray(9, 25));
      return Buffer.concat([decipher.update(token.subarray(25, -32)), decipher.final()]);
    });
  return { encrypt, decrypt };
}

async function runBrowser(): Promise<{ version: string; results: BrowserResult[] }> {
  const outdir = join(here, '..', '.bench', 'browser');
  await build({
    entryPoints: [join(here, 'browser', 'page.ts'), join(here, 'browser', 'chunk-worker.ts')],
    bundle: true,
    format: 'esm',
    outdir,
    logLevel: 'warning',
  });
  const files: Record<string, [string, string]> = {
    '/': ['<!doctype html><script type="module" src="/page.js"></script>', 'text/html'],
    '/page.js': [readFileSync(join(outdir, 'page.js'), 'utf8'), 'text/javascript'],
    '/chunk-worker.js': [readFileSync(join(outdir, 'chunk-worker.js'), 'utf8'), 'text/javascript'],
  };
  const server = createServer((request, response) => {
    const file = files[request.url ?? ''];
    response.writeHead(file ? 200 : 404, { 'content-type': file?.[1] ?? 'text/plain' }).end(file?.[0] ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'runBenchmark' in globalThis);
    type Run = (total: number, sizes: number[], workers: number, rounds: number) => Promise<BrowserResult[]>;
    const results = await page.evaluate(
      ({ total, sizes, workers, rounds }) =>
        (globalThis as unknown as { runBenchmark: Run }).runBenchmark(total, sizes, workers, rounds),
      { total: TOTAL, sizes: CHUNK_SIZES, workers: cpus().length, rounds: ROUNDS },
    );
    return { version: browser.version(), results };
  } finally {
    await browser.close();
    server.close();
  }
}

const mbps = (seconds: number) => TOTAL / 1e6 / seconds;
const fmt = (seconds: number, baseline: number) => `${mbps(seconds).toFixed(0)} (${(baseline / seconds).toFixed(2)}x)`;

const data = randomBytes(TOTAL);
const fileKey = generateKey();
const fileId = randomBytes(16);
const node: Record<number, Record<string, number>> = {};
for (const chunkSize of CHUNK_SIZES) {
  const baseline = nodeCryptoFernet(data, chunkSize);
  let tokens: Buffer[] = [];
  const row: Record<string, number> = {
    baselineEncrypt: await best(() => (tokens = baseline.encrypt())),
    baselineDecrypt: await best(() => baseline.decrypt(tokens)),
  };
  for (const concurrency of [1, 4]) {
    let ciphertext = new Uint8Array();
    const options = { fileKey, fileId, revision: 1, chunkSize, concurrency };
    row[`encrypt${concurrency}`] = await best(async () => (ciphertext = await encryptBytes(data, options)));
    row[`decrypt${concurrency}`] = await best(() => decryptBytes(ciphertext, { fileKey, concurrency }));
  }
  const python = JSON.parse(
    execFileSync(PYTHON, [join(here, 'python_fernet.py'), String(chunkSize), String(TOTAL), String(ROUNDS)], {
      encoding: 'utf8',
    }),
  ) as { encrypt: number; decrypt: number };
  row.pythonEncrypt = python.encrypt;
  row.pythonDecrypt = python.decrypt;
  node[chunkSize] = row;
}
const browser = await runBrowser();

const pythonVersion = execFileSync(
  PYTHON,
  ['-c', 'import sys, cryptography; print(sys.version.split()[0], cryptography.__version__)'],
  {
    encoding: 'utf8',
  },
).trim();
const lines = [
  `Run on ${new Date().toISOString().slice(0, 10)}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}, Chromium ${browser.version}, ` +
    `Python ${pythonVersion.replace(' ', ' with cryptography ')}. ${TOTAL / MiB} MiB of random data, best of ${ROUNDS} rounds.`,
  'MB/s (10^6 bytes per second), and in brackets the ratio to the node:crypto baseline of the same chunk size.',
];
const table = (kind: 'Encrypt' | 'Decrypt') => {
  lines.push(
    '',
    `### ${kind}ion`,
    '',
    '| chunk | node:crypto baseline | Node, 1 at a time | Node, 4 in flight | Chromium main, 1 at a time | ' +
      `Chromium main, 4 in flight | Chromium, ${cpus().length} Web Workers |` +
      (kind === 'Encrypt' ? ' Chromium workers reading a Blob |' : '') +
      ' Python Fernet |',
    `| --- | --- | --- | --- | --- | --- | --- |${kind === 'Encrypt' ? ' --- |' : ''} --- |`,
  );
  for (const result of browser.results) {
    const row = node[result.chunkSize]!;
    const base = row[`baseline${kind}`]!;
    const cells = [
      `${mbps(base).toFixed(0)} (1.00x)`,
      fmt(row[`${kind.toLowerCase()}1`]!, base),
      fmt(row[`${kind.toLowerCase()}4`]!, base),
      fmt(result[`main${kind}1`], base),
      fmt(result[`main${kind}`], base),
      fmt(result[`workers${kind}`], base),
      ...(kind === 'Encrypt' ? [fmt(result.workersEncryptBlob, base)] : []),
      fmt(row[`python${kind}`]!, base),
    ];
    lines.push(`| ${result.chunkSize / 1024} KiB | ${cells.join(' | ')} |`);
  }
};
table('Encrypt');
table('Decrypt');
console.log(lines.join('\n'));
