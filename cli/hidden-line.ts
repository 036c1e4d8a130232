/**
 * One line typed at a terminal, read without echoing it: a recovery code typed at the prompt would otherwise stay on
 * the screen and in the terminal's scrollback for anyone who looks later. The terminal goes to raw mode, so this reads
 * the keys itself: Enter ends the line, Backspace takes back a character, Ctrl-C gives up, Ctrl-D ends the line.
 */
import type { EventEmitter } from 'node:events';

/** What is used of process.stdin when it is a terminal. */
export interface TerminalInput extends EventEmitter {
  setRawMode(raw: boolean): unknown;
  setEncoding(encoding: 'utf8'): unknown;
  resume(): unknown;
  pause(): unknown;
}

export class InterruptedError extends Error {}

const ENTER = new Set(['\r', '\n', '\u0004']);
const BACKSPACE = new Set(['\u007f', '\b']);
const CTRL_C = '\u0003';

export function readHiddenLine(
  input: TerminalInput,
  output: { write(text: string): unknown },
  prompt: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error?: Error) => {
      input.off('data', onKey);
      input.setRawMode(false);
      input.pause();
      // The Enter was not echoed either: end the prompt's line so that what follows starts on its own.
      output.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onKey = (keys: string) => {
      for (const key of keys) {
        if (ENTER.has(key)) return finish();
        if (key === CTRL_C) return finish(new InterruptedError('interrupted at the prompt; nothing was read'));
        if (BACKSPACE.has(key)) line = line.slice(0, -1);
        else if (key >= ' ') line += key;
      }
    };
    // Raw before the prompt shows, so that nothing typed as soon as it shows is echoed.
    input.setRawMode(true);
    output.write(prompt);
    input.setEncoding('utf8');
    input.on('data', onKey);
    input.resume();
  });
}
