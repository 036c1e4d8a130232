import { compareCodeUnits } from '$shared/crypto/code-unit-order.ts';

/**
 * The build a service worker pins: the web app's version, the SHA-256 of every file of its shell, and the build hash
 * over them. tools/pin-build.ts computes it after `vite build` and writes it into the built service worker in place of
 * PINNED_BUILD_PLACEHOLDER; the same record, with the worker's own hash, is web/build/build-manifest.json and the
 * published docs/release-hashes.json.
 */
export interface PinnedBuild {
  /** package.json's version. */
  version: string;
  /** Hex SHA-256 of shellListing(files). */
  buildHash: string;
  /** Hex SHA-256 of each shell file, by its path under web/build ("index.html", "_app/…"). */
  files: Record<string, string>;
}

/** A string the built worker holds exactly once, replaced by the pinned build's JSON. */
export const PINNED_BUILD_PLACEHOLDER = '__COFFER_PINNED_BUILD__';

/**
 * The string web/static/worker-scope-sw.js holds exactly once, replaced by the JSON of PinnedWorkerScripts: the Web
 * Workers' service worker runs a worker's script only if it matches.
 */
export const PINNED_WORKER_SCRIPTS_PLACEHOLDER = '__COFFER_PINNED_WORKER_SCRIPTS__';

/** What worker-scope-sw.js pins: every shell file but itself, whose hash it cannot hold. */
export interface PinnedWorkerScripts {
  version: string;
  files: Record<string, string>;
}

/**
 * The shell's files in `sha256sum` format, sorted by path: the build hash is the SHA-256 of this text, so anyone can
 * check a build with coreutils alone (docs/SECURITY.md, "The code you run").
 */
export function shellListing(files: Record<string, string>): string {
  return Object.keys(files)
    .sort(compareCodeUnits)
    .map((path) => `${files[path]}  ${path}\n`)
    .join('');
}

/** The prefix of a build hash the app shows where the whole would not fit; Settings shows the whole. */
export function shortBuildHash(buildHash: string): string {
  return buildHash.slice(0, 12);
}
