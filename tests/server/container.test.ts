/**
 * The container build file, checked as far as a machine without a container engine can: what it copies exists and
 * is not left out of the build context, the image runs what `npm run build` makes as `npm start` runs it, and the
 * production install holds every package the server bundle imports. Needs `npm run build` first, for the bundle.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, PACKAGE_JSON, PGLITE_TEMPLATE, WEB_ROOT } from '../../server/paths.ts';
import { ROOT } from '../run-command.ts';

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions by stage, continuation lines joined, comments dropped. */
function stages(): Instruction[][] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const result: Instruction[][] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match || line.trim().startsWith('#')) continue;
    const instruction = { keyword: match[1]!, args: match[2]!.trim() };
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)!.push(instruction);
  }
  return result;
}

const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
/** Whether .dockerignore leaves `path` (relative to the root) out of the build context: its own patterns only. */
const isIgnored = (path: string) =>
  ignored.some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return regex.test(path);
  });

/** COPY's sources and destination (relative ones resolved against WORKDIR), and the stage it copies from. */
function copies(stage: Instruction[]) {
  let workdir = '/';
  const result: { from?: string; sources: string[]; destination: string }[] = [];
  for (const { keyword, args } of stage) {
    if (keyword === 'WORKDIR') workdir = args;
    if (keyword !== 'COPY') continue;
    const words = args.split(/\s+/);
    const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((word) => !word.startsWith('--'));
    const destination = paths.at(-1)!;
    result.push({
      ...(from ? { from } : {}),
      sources: paths.slice(0, -1).map((source) => source.replace(/^\/app\//, '')),
      destination: destination.startsWith('/') ? destination : join(workdir, destination),
    });
  }
  return result;
}

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const [build, runtime] = stages();
const one = (stage: Instruction[], keyword: string) => {
  const found = stage.filter((instruction) => instruction.keyword === keyword);
  expect(found, keyword).toHaveLength(1);
  return found[0]!.args;
};
const env = Object.fromEntries(
  runtime!
    .filter((instruction) => instruction.keyword === 'ENV')
    .flatMap(({ args }) => args.split(/\s+/).map((pair) => pair.split('=') as [string, string])),
);

describe('the container build file', () => {
  it('builds in one stage and runs in another', () => {
    expect(stages()).toHaveLength(2);
    expect(one(build!, 'FROM')).toMatch(/ AS build$/);
    expect(build!.map((instruction) => instruction.args)).toEqual(expect.arrayContaining(['npm ci', 'npm run build']));
  });

  it('copies from the build context only what exists and is not left out of it', () => {
    for (const stage of [build!, runtime!]) {
      for (const { from, sources } of copies(stage)) {
        if (from) continue;
        for (const source of sources) {
          if (source === '.') continue;
          expect(existsSync(join(ROOT, source)), source).toBe(true);
          expect(isIgnored(source), source).toBe(false);
        }
      }
    }
    // What the build makes is made in the image, never taken from the checkout's own build.
    for (const made of ['node_modules', 'dist', 'web/build']) expect(isIgnored(made), made).toBe(true);
    for (const needed of ['package.json', 'package-lock.json', 'server', 'shared', 'web', 'tools', 'drizzle']) {
      expect(isIgnored(needed), needed).toBe(false);
    }
  });

  it('copies from the build stage what `npm run build` makes, and everything the server reads at run time', () => {
    const fromBuild = copies(runtime!).filter((copy) => copy.from === 'build');
    for (const { sources } of fromBuild) {
      for (const source of sources) expect(existsSync(join(ROOT, source)), `${source} (npm run build)`).toBe(true);
    }
    const destinations = copies(runtime!).flatMap(({ sources, destination }) =>
      sources.length > 1 || destination.endsWith('/')
        ? sources.map((source) => join(destination, source))
        : [destination],
    );
    const workdir = one(runtime!, 'WORKDIR');
    for (const path of [MIGRATIONS_DIR, WEB_ROOT, PACKAGE_JSON, PGLITE_TEMPLATE]) {
      const inImage = join(workdir, relative(ROOT, path));
      expect(
        destinations.some((destination) => inImage === destination || inImage.startsWith(`${destination}/`)),
        inImage,
      ).toBe(true);
    }
  });

  it('runs the built server as `npm start` does, as an unprivileged user, with its data in a volume', () => {
    const command = JSON.parse(one(runtime!, 'CMD')) as string[];
    expect(command.join(' ')).toBe(packageJson.scripts.start);
    expect(existsSync(join(ROOT, command.at(-1)!)), 'the entry file (npm run build)').toBe(true);
    expect(packageJson.scripts['build:server']).toContain(`--outdir=${command.at(-1)!.split('/')[0]}`);
    expect(one(runtime!, 'USER')).not.toMatch(/^(root|0)$/);
    expect(JSON.parse(`[${one(runtime!, 'VOLUME').replace(/(\S+)/g, '"$1"')}]`)).toEqual([env.DATA_DIR]);
    expect(one(runtime!, 'EXPOSE')).toBe(env.PORT);
    expect(env.HOST).toBe('0.0.0.0');
    expect(one(runtime!, 'HEALTHCHECK')).toContain('/healthz');
  });

  it('installs production packages only, and they hold every package the server bundle imports', () => {
    expect(runtime!.some(({ keyword, args }) => keyword === 'RUN' && args.includes('npm ci --omit=dev'))).toBe(true);
    const bundle = readdirSync(join(ROOT, 'dist'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => readFileSync(join(ROOT, 'dist', name), 'utf8'))
      .join('\n');
    const specifiers = [...bundle.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)].map(
      (match) => match[1]!,
    );
    const packages = new Set(
      specifiers
        .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
        .filter((specifier) => !builtinModules.includes(specifier))
        .map((specifier) =>
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    );
    expect(packages.size).toBeGreaterThan(5);
    const missing = [...packages].filter((name) => !(name in packageJson.dependencies));
    expect(missing, 'imported by dist/ but not in "dependencies"').toEqual([]);
  });
});
