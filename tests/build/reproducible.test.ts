/**
 * The web build is reproducible and its hashes are published (threat model row 11). The tree, copied to another
 * directory and built there, gives byte for byte the build-manifest.json of web/build, which `npm test` built before
 * the suites ran; and docs/release-hashes.json is that manifest. One build here rather than two: the other is the one
 * the e2e suites already test, and a second would add a whole web build to CI for no more evidence.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../run-command.ts';

const run = promisify(execFile);
const MANIFEST = 'web/build/build-manifest.json';

describe('the web build', () => {
  let copy: string | undefined;
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('builds to the same bytes from a copy of the tree in another directory', async () => {
    copy = await mkdtemp(join(tmpdir(), 'coffer-reproducible-'));
    // The tree as it is, uncommitted changes included, without what git ignores (builds, node_modules).
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const path of stdout.split('\0').filter(Boolean)) {
      await mkdir(dirname(join(copy, path)), { recursive: true });
      await cp(join(ROOT, path), join(copy, path), { force: true }).catch((error: NodeJS.ErrnoException) => {
        // A file deleted but not yet staged is still listed.
        if (error.code !== 'ENOENT') throw error;
      });
    }
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    await run('npm', ['run', 'build:web', '--silent'], { cwd: copy, maxBuffer: 64 * 1024 * 1024 });
    const rebuilt = await readFile(join(copy, MANIFEST), 'utf8');
    expect(rebuilt, `${MANIFEST} differs from a build of the same tree elsewhere: run \`npm run build\` first`).toBe(
      await readFile(join(ROOT, MANIFEST), 'utf8'),
    );
  }, 600_000);

  it('has its hashes published in docs/release-hashes.json', async () => {
    expect(
      await readFile(join(ROOT, 'docs/release-hashes.json'), 'utf8'),
      'docs/release-hashes.json does not list this build: run `npm run release-hashes` and commit the file',
    ).toBe(await readFile(join(ROOT, MANIFEST), 'utf8'));
  });
});
