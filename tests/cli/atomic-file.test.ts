import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { atomicFileSink } from '../../cli/atomic-file.ts';

function temporaryDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-atomic-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('atomicFileSink', () => {
  // The write stream opens its temporary file asynchronously; a discard that does not wait for that open used to
  // leave the file behind about one time in fifteen.
  it('leaves nothing behind when discarded before its file has opened', async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const dir = temporaryDirectory();
      await atomicFileSink(join(dir, 'out.bin')).discard();
      await sleep(2);
      expect(readdirSync(dir), `attempt ${attempt}`).toEqual([]);
    }
  });

  // A write still in flight when discard destroys the stream completes with ERR_STREAM_DESTROYED; unhandled, that
  // error crashed the CLI before it removed the file (CI saw '.out.bin.<pid>.partial' left behind).
  it('leaves nothing behind, and throws nothing, when discarded with writes in flight', async () => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const dir = temporaryDirectory();
      const sink = atomicFileSink(join(dir, 'out.bin'));
      for (let i = 0; i < 4; i++) sink.stream.write(new Uint8Array(256 * 1024));
      await sleep(attempt % 5);
      await sink.discard();
      expect(readdirSync(dir), `attempt ${attempt}`).toEqual([]);
    }
  });

  it('shows the file under its name only after commit, with everything written', async () => {
    const dir = temporaryDirectory();
    const sink = atomicFileSink(join(dir, 'out.bin'));
    sink.stream.write('con');
    sink.stream.write('tent');
    expect(readdirSync(dir)).not.toContain('out.bin');
    await sink.commit();
    expect(readdirSync(dir)).toEqual(['out.bin']);
    expect(readFileSync(join(dir, 'out.bin'), 'utf8')).toBe('content');
  });
});
