/**
 * The recovery code typed at a terminal (cli/hidden-line.ts): read in raw mode, so that the terminal echoes nothing,
 * with Backspace and Ctrl-C working as at any prompt, and the terminal put back as it was.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InterruptedError, readHiddenLine } from '../../cli/hidden-line.ts';

/** A stream standing for a terminal: it records the raw modes asked of it. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, modes: [] as boolean[] });
  const setRawMode = (raw: boolean) => input.modes.push(raw);
  let shown = '';
  return {
    input: Object.assign(input, { setRawMode }),
    output: { write: (text: string) => (shown += text) },
    shown: () => shown,
  };
}

describe('a line read without echo', () => {
  it('reads the keys typed, Backspace included, shows only the prompt, and puts the terminal back', async () => {
    const terminal = fakeTerminal();
    const line = readHiddenLine(terminal.input, terminal.output, 'Recovery code: ');
    terminal.input.write('ABCD-');
    terminal.input.write('EFGX\u007fH\r');
    expect(await line).toBe('ABCD-EFGH');
    expect(terminal.shown()).toBe('Recovery code: \n');
    expect(terminal.input.modes).toEqual([true, false]);
  });

  it('takes a pasted code with its line end in one chunk, and stops listening', async () => {
    const terminal = fakeTerminal();
    const line = readHiddenLine(terminal.input, terminal.output, 'Recovery code: ');
    terminal.input.write('WXYZ-1234\nmore');
    expect(await line).toBe('WXYZ-1234');
    expect(terminal.input.listenerCount('data')).toBe(0);
  });

  it('gives up at Ctrl-C with the terminal put back', async () => {
    const terminal = fakeTerminal();
    const line = readHiddenLine(terminal.input, terminal.output, 'Recovery code: ');
    terminal.input.write('AB\u0003');
    await expect(line).rejects.toBeInstanceOf(InterruptedError);
    expect(terminal.input.modes).toEqual([true, false]);
  });
});
