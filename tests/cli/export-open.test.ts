/**
 * `coffer export open` and the archive's manifest (docs/FORMAT.md section 7): the vector's archive opens with its
 * recovery code to exactly its tree, and every alteration of an entry (a byte changed, two entries swapped, one added
 * or dropped, a manifest sealed under another key) or a wrong code is refused, with no output directory left.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CofferCryptoError,
  collect,
  decodeBase64url,
  EXPORT_ENTRIES,
  exportManifestKey,
  generateKey,
  openManifest,
  sealManifest,
  streamEntryName,
} from '../../shared/crypto/index.ts';
import { openArchiveInto } from '../../cli/export/commands.ts';
import { openZipArchive } from '../../cli/export/zip-reader.ts';
import { createZipStream } from '../../web/src/lib/zip/zip-stream.ts';
import vectors from '../vectors/coffer.json';
import { coffer, COFFER, python, REFERENCE_DECRYPTOR, ROOT } from '../run-command.ts';

const [vector] = vectors.exportArchive;
const archive = decodeBase64url(vector!.archive);
const code = vector!.recoveryCode;
/** Words a hostile file could carry to the user, were its names or ids quoted in the app's messages. */
const HOSTILE = 'Click here to re-enter your passphrase';
const id = (n: number) => `c0ffee00-0000-4000-8000-0000000e${n.toString(16).padStart(4, '0')}`;

function temporaryDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-export-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every folder (but the root) and every file under `out`, as the vector's `opened` lists them. */
function treeOf(out: string) {
  const found: { path: string; kind: string; size?: number; sha256?: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        found.push({ path: relative(out, full), kind: 'folder' });
        walk(full);
      } else {
        const data = readFileSync(full);
        found.push({
          path: relative(out, full),
          kind: 'file',
          size: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
        });
      }
    }
  };
  walk(out);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

const expectedTree = () => [...vector!.opened].sort((a, b) => a.path.localeCompare(b.path));

/** The vector archive's entries, by name, in order. */
async function entriesOf(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const dir = temporaryDirectory();
  const path = join(dir, 'in.zip');
  writeFileSync(path, bytes);
  const reader = await openZipArchive(path);
  try {
    const entries = new Map<string, Uint8Array>();
    for (const name of reader.names) entries.set(name, await reader.bytes(name));
    return entries;
  } finally {
    await reader.close();
  }
}

/** A zip of these entries, stored, in this order, as the app writes one. */
async function zipOf(entries: Map<string, Uint8Array>): Promise<Uint8Array> {
  return collect(
    createZipStream(
      [...entries].map(([path, bytes]) => ({
        path,
        modified: new Date(0),
        size: bytes.length,
        open: () =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes);
              controller.close();
            },
          }),
      })),
    ),
  );
}

async function openBytes(bytes: Uint8Array, recoveryCode = code) {
  const dir = temporaryDirectory();
  writeFileSync(join(dir, 'archive.zip'), bytes);
  const out = join(dir, 'out');
  try {
    return { opened: await openArchiveInto(join(dir, 'archive.zip'), recoveryCode, out), out };
  } finally {
    // Nothing half-written: the output appears whole or not at all, and no hidden sibling stays behind.
    expect(readdirSync(dir).filter((name) => name !== 'archive.zip' && name !== 'out')).toEqual([]);
  }
}

async function refusal(bytes: Uint8Array, recoveryCode = code): Promise<CofferCryptoError> {
  const error = await openBytes(bytes, recoveryCode).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CofferCryptoError);
  return error as CofferCryptoError;
}

describe('the export archive vector', () => {
  it('opens with its recovery code to exactly its tree, names that clash in a folder made unique', async () => {
    const { opened, out } = await openBytes(archive);
    expect(opened).toEqual({ userId: vector!.userId, folders: 3, files: 5 });
    expect(treeOf(out)).toEqual(expectedTree());
    expect(statSync(join(out, 'notes.txt')).mtimeMs).toBe(1_795_000_000_000);
  });

  it('opens with its recovery code as people type it', async () => {
    const { out } = await openBytes(archive, ` ${code.toLowerCase().replaceAll('-', ' ')} `);
    expect(treeOf(out)).toEqual(expectedTree());
  });

  it('has a manifest that binds the account and every other entry', async () => {
    const entries = await entriesOf(archive);
    const key = decodeBase64url(vector!.manifestKey);
    expect(key).toEqual(await exportManifestKey(decodeBase64url(vectors.account[0]!.masterKey)));
    const manifest = await openManifest(key, new TextDecoder().decode(entries.get('manifest')), vector!.userId);
    expect(manifest.entries.map((entry) => entry.name)).toEqual([...entries.keys()].filter((n) => n !== 'manifest'));
    await expect(
      openManifest(
        key,
        new TextDecoder().decode(entries.get('manifest')),
        vectors.account[0]!.userId.replace('a', 'b'),
      ),
    ).rejects.toMatchObject({ code: 'EXPORT_INVALID' });
  });
});

describe('an export archive that is not intact, or a code that is not its own, is refused', () => {
  it('refuses another recovery code', async () => {
    const other = (code[0] === '1' ? '2' : '1') + code.slice(1);
    expect((await refusal(archive, other)).code).toBe('EXPORT_LOCKED');
  });

  it('refuses a code that is not a recovery code', async () => {
    expect((await refusal(archive, 'not a code')).code).toBe('BAD_RECOVERY_CODE');
  });

  it('refuses a byte changed in a file stream', async () => {
    const entries = await entriesOf(archive);
    const stream = entries.get(streamEntryName(id(5)))!.slice();
    stream[200]! ^= 1;
    entries.set(streamEntryName(id(5)), stream);
    const error = await refusal(await zipOf(entries));
    expect(error.code).toBe('EXPORT_INVALID');
    expect(error.message).toContain(streamEntryName(id(5)));
  });

  it('refuses two files whose streams were swapped', async () => {
    const entries = await entriesOf(archive);
    const [a, b] = [streamEntryName(id(8)), streamEntryName(id(9))];
    const [first, second] = [entries.get(a)!, entries.get(b)!];
    entries.set(a, second);
    entries.set(b, first);
    expect((await refusal(await zipOf(entries))).code).toBe('EXPORT_INVALID');
  });

  it('refuses a node record altered in nodes.json', async () => {
    const entries = await entriesOf(archive);
    const nodes = JSON.parse(new TextDecoder().decode(entries.get(EXPORT_ENTRIES.nodes))) as {
      nodes: { parentId: string | null }[];
    };
    // The file moved to another folder: its key would not unwrap there anyway, but the manifest refuses it first.
    nodes.nodes[4]!.parentId = id(2);
    entries.set(EXPORT_ENTRIES.nodes, new TextEncoder().encode(JSON.stringify(nodes)));
    const error = await refusal(await zipOf(entries));
    expect(error.message).toContain(EXPORT_ENTRIES.nodes);
  });

  it('refuses an entry added, and an entry dropped', async () => {
    const added = await entriesOf(archive);
    added.set('streams/extra', new Uint8Array(3));
    expect((await refusal(await zipOf(added))).message).toMatch(/its entry number \d+ is not one its manifest lists/);
    const dropped = await entriesOf(archive);
    dropped.delete(streamEntryName(id(6)));
    expect((await refusal(await zipOf(dropped))).message).toContain(streamEntryName(id(6)));
  });

  it('names an entry the manifest does not list by its position, never by the name the file gives it', async () => {
    const added = await entriesOf(archive);
    added.set(HOSTILE, new Uint8Array(3));
    const error = await refusal(await zipOf(added));
    expect(error.message).not.toContain(HOSTILE);
    expect(error.message).toMatch(/its entry number \d+ is not one its manifest lists/);
  });

  it('names a node that is not well formed by its position, never by the id the file gives it', async () => {
    const entries = await entriesOf(archive);
    const tree = JSON.parse(new TextDecoder().decode(entries.get(EXPORT_ENTRIES.nodes))) as { nodes: { id: string }[] };
    tree.nodes[1]!.id = HOSTILE;
    const nodes = new TextEncoder().encode(JSON.stringify(tree));
    entries.set(EXPORT_ENTRIES.nodes, nodes);
    // Its manifest vouches for the altered tree, as one the account's own key sealed would: only the node is wrong.
    const manifestKey = decodeBase64url(vector!.manifestKey);
    const manifestText = new TextDecoder().decode(entries.get(EXPORT_ENTRIES.manifest));
    const manifest = await openManifest(manifestKey, manifestText, vector!.userId);
    const listed = manifest.entries.find((entry) => entry.name === EXPORT_ENTRIES.nodes)!;
    listed.size = nodes.length;
    listed.sha256 = createHash('sha256').update(nodes).digest('hex');
    entries.set(EXPORT_ENTRIES.manifest, new TextEncoder().encode(await sealManifest(manifestKey, manifest)));
    const error = await refusal(await zipOf(entries));
    expect(error.message).not.toContain(HOSTILE);
    expect(error.message).toMatch(/node number 2 of its tree is not well formed/);
  });

  it('refuses a manifest sealed under another key, though it lists the entries as they are', async () => {
    const entries = await entriesOf(archive);
    const key = decodeBase64url(vector!.manifestKey);
    const manifest = await openManifest(key, new TextDecoder().decode(entries.get('manifest')), vector!.userId);
    entries.set('manifest', new TextEncoder().encode(await sealManifest(generateKey(), manifest)));
    expect((await refusal(await zipOf(entries))).message).toContain('manifest does not authenticate');
  });

  it('refuses an output directory that exists, and leaves it as it was', async () => {
    const dir = temporaryDirectory();
    writeFileSync(join(dir, 'archive.zip'), archive);
    const result = await coffer(['export', 'open', join(dir, 'archive.zip'), '--recovery-code', code, dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^coffer: .* already exists/);
    expect(readdirSync(dir)).toEqual(['archive.zip']);
  });
});

describe('coffer export open and coffer_decrypt.py export-open', () => {
  it('both write the vector tree; both refuse a changed byte with one line and write nothing', async () => {
    const dir = temporaryDirectory();
    const path = join(dir, 'archive.zip');
    writeFileSync(path, archive);
    const cli = await coffer(['export', 'open', path, '--recovery-code', code, join(dir, 'cli')]);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const py = await python(REFERENCE_DECRYPTOR, ['export-open', path, '--recovery-code', code, join(dir, 'py')]);
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    expect(treeOf(join(dir, 'cli'))).toEqual(expectedTree());
    expect(treeOf(join(dir, 'py'))).toEqual(expectedTree());

    const altered = archive.slice();
    altered[Math.floor(altered.length / 2)]! ^= 0x40;
    writeFileSync(path, altered);
    const refusedCli = await coffer(['export', 'open', path, '--recovery-code', code, join(dir, 'cli-2')]);
    const refusedPy = await python(REFERENCE_DECRYPTOR, [
      'export-open',
      path,
      '--recovery-code',
      code,
      join(dir, 'py-2'),
    ]);
    for (const [result, prefix] of [
      [refusedCli, 'coffer: EXPORT_INVALID: '],
      [refusedPy, 'coffer_decrypt: EXPORT_INVALID: '],
    ] as const) {
      expect(result.status).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.startsWith(prefix)).toBe(true);
    }
    expect(existsSync(join(dir, 'cli-2')) || existsSync(join(dir, 'py-2'))).toBe(false);
  });

  it('both take the code from a file or from stdin, so that it stays out of the process list', async () => {
    const dir = temporaryDirectory();
    const path = join(dir, 'archive.zip');
    writeFileSync(path, archive);
    writeFileSync(join(dir, 'code.txt'), `${code}\n`);
    const stdin = new TextEncoder().encode(`${code}\n`);
    const runs = await Promise.all([
      coffer(['export', 'open', path, '--recovery-code-file', join(dir, 'code.txt'), join(dir, 'cli-file')]),
      coffer(['export', 'open', path, '--recovery-code-file', '-', join(dir, 'cli-stdin')], stdin),
      python(REFERENCE_DECRYPTOR, [
        'export-open',
        path,
        '--recovery-code-file',
        join(dir, 'code.txt'),
        join(dir, 'py-file'),
      ]),
      python(REFERENCE_DECRYPTOR, ['export-open', path, '--recovery-code-file', '-', join(dir, 'py-stdin')], stdin),
    ]);
    expect(runs.map((run) => [run.status, run.stderr])).toEqual(Array(4).fill([0, '']));
    for (const out of ['cli-file', 'cli-stdin', 'py-file', 'py-stdin'])
      expect(treeOf(join(dir, out))).toEqual(expectedTree());

    const both = await coffer([
      'export',
      'open',
      path,
      '--recovery-code',
      code,
      '--recovery-code-file',
      '-',
      join(dir, 'x'),
    ]);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toContain('--recovery-code-file PATH | --recovery-code CODE');
  });

  it('reads the code typed at a terminal without echoing it', async () => {
    const dir = temporaryDirectory();
    const path = join(dir, 'archive.zip');
    writeFileSync(path, archive);
    const command = [
      process.execPath,
      ...COFFER,
      'export',
      'open',
      path,
      '--recovery-code-file',
      '-',
      join(dir, 'out'),
    ];
    // util-linux's script(1) runs the command on a pseudo-terminal, whose line discipline echoes what is typed unless
    // the command turns echo off; everything the terminal shows comes back on script's stdout.
    const child = spawn('script', ['-qfec', command.map((word) => `'${word}'`).join(' '), '/dev/null'], { cwd: ROOT });
    let shown = '';
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (part: Buffer) => {
        shown += part.toString('utf8');
        if (shown.includes('Recovery code: ')) resolve();
      }),
    );
    child.stdin.write(`${code}\r`);
    expect(await ended).toBe(0);
    expect(shown).toContain('every one authenticated');
    expect(shown).not.toContain(code);
    expect(treeOf(join(dir, 'out'))).toEqual(expectedTree());
  });
});
