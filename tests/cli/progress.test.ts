/**
 * Progress of `coffer encrypt`, `coffer decrypt` and `coffer export open`: run under a pseudo-terminal (Python's pty module), work that lasts
 * shows bytes, rate and time left on stderr; the same work with stderr on a pipe, or with --quiet, shows nothing, and
 * small work at a terminal leaves no line. stdout carries the same bytes either way.
 *
 * The work is made to last by a reader of stdout that pauses after the first byte: the command, held back by the full
 * pipe, is still at work after the time a progress line waits for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  decodeBase64url,
  decryptBytes,
  encodeBase64url,
  encryptBytes,
  generateKey,
  uuidToBytes,
} from '../../shared/crypto/index.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { COFFER, pythonCode } from '../run-command.ts';
import vectors from '../vectors/coffer.json';

/**
 * Runs a command with stdin from a file, its stderr on a new pseudo-terminal ("pty") or a pipe ("pipe"), and the rest
 * of its stdout read only DELAY seconds after its first byte (so the wait is the command's, whatever its start-up
 * takes). Prints the command's stdout on stdout, what its stderr showed on stderr, and
 * exits with its status.
 */
const HARNESS = `
import os, pty, subprocess, sys, threading, time
stdin_path, mode, delay, *command = sys.argv[1:]
if mode == 'pty':
    reader, writer = pty.openpty()
else:
    reader, writer = os.pipe()
with open(stdin_path, 'rb') as stdin:
    child = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=writer)
os.close(writer)
shown = []
def read_stderr():
    while True:
        try:
            data = os.read(reader, 65536)
        except OSError:
            return
        if not data:
            return
        shown.append(data)
thread = threading.Thread(target=read_stderr)
thread.start()
first = child.stdout.read(1)
time.sleep(float(delay))
out = first + child.stdout.read()
status = child.wait()
thread.join()
sys.stderr.buffer.write(b''.join(shown))
sys.stdout.buffer.write(out)
sys.exit(status)
`;

const LARGE = 4 * 1024 * 1024;
const WAIT_SECONDS = '1.5';
/** One redraw of the line: "\r<what>: <done> of <total>, <rate>/s, <n> s left", then erase to the end of the line. */
const line = (what: string, done = '[\\d.]+ (bytes|KiB|MiB)') =>
  new RegExp(`\\r${what}: ${done} of [\\d.]+ MiB, [\\d.]+ (bytes|KiB|MiB|GiB)/s, \\d+ s left\\x1b\\[K`);
/** The last redraw, of the whole input, then the end of the line (a terminal shows "\n" as "\r\n"). */
const lastLine = (what: string) => new RegExp(`${line(what, '4\\.0 MiB').source}\\r?\\n$`);

function input(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-progress-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'input.bin');
  writeFileSync(path, bytes);
  return path;
}

const run = (stdinPath: string, mode: 'pty' | 'pipe', delay: string, args: string[]) =>
  pythonCode(HARNESS, [stdinPath, mode, delay, process.execPath, ...COFFER, ...args]);

describe('progress of coffer encrypt / decrypt', () => {
  const key = generateKey();
  const fileId = '0a1b2c3d-0000-4000-8000-00000000abcd';
  const keyArgs = ['--key', encodeBase64url(key), '--file-id', fileId, '--revision', '3'];
  const plaintext = patternBytes(LARGE);
  const opened = (ciphertext: Uint8Array) =>
    decryptBytes(ciphertext, { fileKey: key, expected: { fileId: uuidToBytes(fileId), revision: 3 } });

  it('encrypt shows its progress at a terminal, not for small work done at once, and never through a pipe', async () => {
    const path = input(plaintext);
    const small = patternBytes(1000);
    const [terminal, piped, quick] = await Promise.all([
      run(path, 'pty', WAIT_SECONDS, ['encrypt', ...keyArgs]),
      run(path, 'pipe', WAIT_SECONDS, ['encrypt', ...keyArgs]),
      run(input(small), 'pty', '0', ['encrypt', ...keyArgs]),
    ]);
    expect(terminal.status).toBe(0);
    expect(terminal.stderr).toMatch(lastLine('encrypting'));
    expect(piped.status).toBe(0);
    expect(piped.stderr).toBe('');
    expectBytes(await opened(terminal.stdout), plaintext);
    expectBytes(await opened(piped.stdout), plaintext);
    expect(quick.status).toBe(0);
    expect(quick.stderr).toBe('');
    expectBytes(await opened(quick.stdout), small);
  });

  it('decrypt shows its progress at a terminal, and nothing with --quiet; stdout is the plaintext either way', async () => {
    const path = input(await encryptBytes(plaintext, { fileKey: key, fileId: uuidToBytes(fileId), revision: 3 }));
    const [terminal, quiet] = await Promise.all([
      run(path, 'pty', WAIT_SECONDS, ['decrypt', ...keyArgs]),
      run(path, 'pty', WAIT_SECONDS, ['decrypt', '--quiet', ...keyArgs]),
    ]);
    expect(terminal.status).toBe(0);
    expect(terminal.stderr).toMatch(lastLine('decrypting'));
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expectBytes(terminal.stdout, plaintext);
    expectBytes(quiet.stdout, plaintext);
  });
});

describe('progress of coffer export open', () => {
  const [vector] = vectors.exportArchive;
  /** The whole of what an opening reads: the vector archive's entries (KiB) or its bytes (bytes). */
  const finalLine = new RegExp(
    `\\ropening: ([\\d.]+ (bytes|KiB)) of \\1, [\\d.]+ (bytes|KiB|MiB|GiB)/s, \\d+ s left\\x1b\\[K\\r?\\n$`,
  );

  it('shows the bytes read of all it will read at a terminal, and nothing through a pipe or with --quiet', async () => {
    const archive = input(decodeBase64url(vector!.archive));
    const open = (out: string, ...flags: string[]) => [
      'export',
      'open',
      archive,
      '--recovery-code',
      vector!.recoveryCode,
      join(archive, '..', out),
      ...flags,
    ];
    const [terminal, piped, quiet] = await Promise.all([
      run(archive, 'pty', '0', open('at-terminal')),
      run(archive, 'pipe', '0', open('through-pipe')),
      run(archive, 'pty', '0', open('quiet', '--quiet')),
    ]);
    for (const result of [terminal, piped, quiet]) {
      expect(result.status).toBe(0);
      expect(new TextDecoder().decode(result.stdout)).toMatch(
        /: 5 file\(s\) in 3 folder\(s\), every one authenticated\n$/,
      );
    }
    expect(terminal.stderr).toMatch(finalLine);
    expect(piped.stderr).toBe('');
    expect(quiet.stderr).toBe('');
  });
});
