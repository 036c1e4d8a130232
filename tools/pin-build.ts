/**
 * Pins the web build (threat model row 11). After `vite build` and externalize-boot-script, it
 * - adds subresource integrity to the pages (pin-build/subresource-integrity.ts);
 * - writes the hashes of every other file of the shell into worker-scope-sw.js, the Web Workers' service worker, which
 *   runs a worker's script only if it matches them;
 * - hashes every file of the shell, which is everything in the build but the service worker and this record;
 * - writes the pinned build (web/src/lib/pwa/pinned-build.ts) into the service worker, which installs only a shell
 *   that matches it and serves nothing else;
 * - writes build-manifest.json: the same record with the worker's own hash, which docs/release-hashes.json publishes.
 * Usage: tsx tools/pin-build.ts web/build
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { compareCodeUnits } from '../shared/crypto/code-unit-order.ts';
import {
  PINNED_BUILD_PLACEHOLDER,
  PINNED_WORKER_SCRIPTS_PLACEHOLDER,
  shellListing,
  type PinnedBuild,
  type PinnedWorkerScripts,
} from '../web/src/lib/pwa/pinned-build.ts';
import { withSubresourceIntegrity } from './pin-build/subresource-integrity.ts';

const SERVICE_WORKER = 'service-worker.js';
const WORKER_SCOPE_WORKER = 'worker-scope-sw.js';
const BUILD_MANIFEST = 'build-manifest.json';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file of the build but the worker and this record, by path in byte order, whatever order the disk lists them. */
function shellFiles(buildDir: string): Record<string, string> {
  const paths = readdirSync(buildDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(buildDir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((path) => path !== SERVICE_WORKER && path !== BUILD_MANIFEST)
    .sort(compareCodeUnits);
  return Object.fromEntries(paths.map((path) => [path, sha256(readFileSync(join(buildDir, path)))]));
}

/** A worker with `pinned` in place of its placeholder, which must appear exactly once, as a string literal. */
function pinnedWorker(name: string, worker: string, marker: string, pinned: PinnedBuild | PinnedWorkerScripts): string {
  const placeholder = new RegExp(`(["'\`])${marker}\\1`, 'g');
  const found = worker.match(placeholder)?.length ?? 0;
  if (found !== 1) throw new Error(`expected the placeholder ${marker} once in ${name}, found it ${found} times`);
  return worker.replace(placeholder, () => JSON.stringify(JSON.stringify(pinned)));
}

/** Pins the Web Workers' scripts in their service worker, which must be hashed after, as part of the shell. */
function pinWorkerScripts(buildDir: string, version: string): void {
  const path = join(buildDir, WORKER_SCOPE_WORKER);
  const files = Object.fromEntries(
    Object.entries(shellFiles(buildDir)).filter(([file]) => file !== WORKER_SCOPE_WORKER),
  );
  const pinned: PinnedWorkerScripts = { version, files };
  writeFileSync(
    path,
    pinnedWorker(WORKER_SCOPE_WORKER, readFileSync(path, 'utf8'), PINNED_WORKER_SCRIPTS_PLACEHOLDER, pinned),
  );
}

const buildDir = process.argv[2];
if (!buildDir) {
  console.error('usage: pin-build <web build directory>');
  process.exit(2);
}
try {
  for (const page of readdirSync(buildDir).filter((name) => name.endsWith('.html'))) {
    const path = join(buildDir, page);
    writeFileSync(path, withSubresourceIntegrity(readFileSync(path, 'utf8'), buildDir));
  }
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  pinWorkerScripts(buildDir, version);
  const files = shellFiles(buildDir);
  const pinned: PinnedBuild = { version, buildHash: sha256(shellListing(files)), files };
  const worker = pinnedWorker(
    SERVICE_WORKER,
    readFileSync(join(buildDir, SERVICE_WORKER), 'utf8'),
    PINNED_BUILD_PLACEHOLDER,
    pinned,
  );
  writeFileSync(join(buildDir, SERVICE_WORKER), worker);
  const manifest = { version, buildHash: pinned.buildHash, serviceWorker: sha256(worker), files };
  writeFileSync(join(buildDir, BUILD_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
} catch (error) {
  console.error(`pin-build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
