import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PYTHON = process.env.COFFER_PYTHON ?? '/usr/bin/python3';
export const COFFER = ['cli/bin.js'];
export const REFERENCE_DECRYPTOR = 'tools/coffer_decrypt.py';

export interface CommandResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command in the repo root with `input` on stdin; asynchronous, so tests can run several at once. */
export function runCommand(
  command: string,
  args: string[],
  input: Uint8Array = new Uint8Array(0),
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (part: Buffer) => stdout.push(part));
    child.stderr.on('data', (part: Buffer) => stderr.push(part));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
    // The child may exit before reading everything (that is what a rejected header does).
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export const coffer = (args: string[], input?: Uint8Array) => runCommand(process.execPath, [...COFFER, ...args], input);
export const python = (script: string, args: string[], input?: Uint8Array) =>
  runCommand(PYTHON, [script, ...args], input);
export const pythonCode = (code: string, args: string[], input?: Uint8Array) =>
  runCommand(PYTHON, ['-c', code, ...args], input);
