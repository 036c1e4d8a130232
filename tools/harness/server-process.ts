import type { ChildProcess } from 'node:child_process';

/** Resolves with the URL a starting Coffer process prints once it listens; rejects, with its output, if it exits. */
export function waitForListening(child: ChildProcess): Promise<string> {
  let output = '';
  child.stderr?.on('data', (text: Buffer) => (output += text.toString()));
  return new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (text: Buffer) => {
      output += text.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`Coffer exited with ${code} before listening:\n${output}`)));
  });
}
