/**
 * `coffer encrypt | coffer decrypt` must stream in bounded memory, however large the input and however fast it
 * arrives. Before the CLI applied backpressure itself, 256 MiB from a fast source took 318 MB and 4 GiB took 2.9 GB.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBase64url, generateKey } from '../../shared/crypto/index.ts';
import { COFFER, ROOT } from '../run-command.ts';

const INPUT_BYTES = 512 * 1024 * 1024;
const PEAK_LIMIT_KIB = 200 * 1024;

/** Peak resident memory so far (VmHWM), in KiB; undefined once the process has exited. */
function peakKiB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

describe('coffer memory', () => {
  it(`streams ${INPUT_BYTES / 2 ** 20} MiB through encrypt and decrypt in under ${PEAK_LIMIT_KIB / 1024} MB each`, async () => {
    const key = encodeBase64url(generateKey());
    const encrypt = spawn(process.execPath, [...COFFER, 'encrypt', '--key', key], { cwd: ROOT });
    const decrypt = spawn(process.execPath, [...COFFER, 'decrypt', '--key', key], { cwd: ROOT });
    encrypt.stdout.pipe(decrypt.stdin);
    let received = 0;
    decrypt.stdout.on('data', (piece: Buffer) => {
      received += piece.length;
      if (piece.some((byte) => byte !== 0)) throw new Error('decrypted bytes differ from the input');
    });
    const peaks = { encrypt: 0, decrypt: 0 };
    const sampler = setInterval(() => {
      peaks.encrypt = Math.max(peaks.encrypt, peakKiB(encrypt.pid!) ?? 0);
      peaks.decrypt = Math.max(peaks.decrypt, peakKiB(decrypt.pid!) ?? 0);
    }, 20);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let sent = 0; sent < INPUT_BYTES; sent += zeros.length) {
      if (!encrypt.stdin.write(zeros)) await once(encrypt.stdin, 'drain');
    }
    encrypt.stdin.end();
    const [code] = await once(decrypt, 'close');
    clearInterval(sampler);
    expect(code).toBe(0);
    expect(received).toBe(INPUT_BYTES);
    expect(peaks.encrypt).toBeGreaterThan(0);
    expect(peaks.encrypt).toBeLessThan(PEAK_LIMIT_KIB);
    expect(peaks.decrypt).toBeLessThan(PEAK_LIMIT_KIB);
  });
});
