/**
 * `coffer export open ARCHIVE --recovery-code-file PATH OUT_DIR`: opens an encrypted export archive (docs/FORMAT.md
 * section 7) with the account's recovery code alone, without a server, into a new directory. A wrong code or an altered
 * archive is one line on stderr and a non-zero exit, and OUT_DIR is then not made.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { readHiddenLine } from '../hidden-line.ts';
import {
  EXPORT_ENTRIES,
  openExportArchive,
  STREAM_ENTRY_PREFIX,
  type ArchiveReader,
  type OpenedArchive,
} from '../../shared/crypto/index.ts';
import { Progress } from '../progress.ts';
import { treeOutput } from './tree-output.ts';
import { openZipArchive } from './zip-reader.ts';

export const EXPORT_USAGE = `  coffer export open ARCHIVE --recovery-code-file PATH OUT_DIR [--json] [--quiet]
                                             open an encrypted export archive made in the app into OUT_DIR (new);
                                             PATH - reads the code on stdin; --recovery-code CODE gives it inline`;

const USAGE_LINE = 'usage: coffer export open ARCHIVE (--recovery-code-file PATH | --recovery-code CODE) OUT_DIR';

export class ExportUsageError extends Error {}

const OPTIONS = {
  'recovery-code': { type: 'string' },
  'recovery-code-file': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export async function runExportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, archive, out, ...rest] = positionals;
  const inline = values['recovery-code'];
  const file = values['recovery-code-file'];
  if (command !== 'open' || !archive || !out || rest.length > 0 || (inline === undefined) === (file === undefined)) {
    throw new ExportUsageError(USAGE_LINE);
  }
  const recoveryCode = inline ?? (await readRecoveryCode(file!));
  const opened = await openArchiveInto(archive, recoveryCode, out, values.quiet === true);
  process.stdout.write(
    (values.json
      ? JSON.stringify({ out, ...opened })
      : `${out}: ${opened.files} file(s) in ${opened.folders} folder(s), every one authenticated`) + '\n',
  );
}

/**
 * The code from a file, or from the first line of stdin for `-` (asking for it at a terminal, where it is not echoed):
 * a code given on the command line is seen by every user of the machine (the process list) and kept in the shell's
 * history.
 */
async function readRecoveryCode(path: string): Promise<string> {
  if (path !== '-') return (await readFile(path, 'utf8')).trim();
  if (process.stdin.isTTY) return (await readHiddenLine(process.stdin, process.stderr, 'Recovery code: ')).trim();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line.trim();
    return '';
  } finally {
    lines.close();
  }
}

export async function openArchiveInto(
  archive: string,
  recoveryCode: string,
  out: string,
  quiet = true,
): Promise<OpenedArchive> {
  const reader = await openZipArchive(archive);
  try {
    const output = await treeOutput(out);
    try {
      const progress = new Progress('opening', bytesToRead(reader), quiet);
      const opened = await openExportArchive(countingReader(reader, progress), recoveryCode, output);
      progress.finish();
      await output.commit();
      return opened;
    } catch (error) {
      await output.discard();
      throw error;
    }
  } finally {
    await reader.close();
  }
}

/**
 * The bytes an opening reads: every entry but the manifest once, to check its hash against the manifest, then the
 * files' streams again to decrypt them. What is read counts, not what is written, so the total is known up front.
 */
function bytesToRead(reader: ArchiveReader): number {
  let total = 0;
  for (const name of reader.names) {
    if (name !== EXPORT_ENTRIES.manifest) total += reader.size(name);
    if (name.startsWith(STREAM_ENTRY_PREFIX)) total += reader.size(name);
  }
  return total;
}

function countingReader(reader: ArchiveReader, progress: Progress): ArchiveReader {
  return {
    ...reader,
    sha256: async (name) => {
      const digest = await reader.sha256(name);
      progress.add(reader.size(name));
      return digest;
    },
    stream: (name) =>
      reader.stream(name).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            progress.add(chunk.length);
            controller.enqueue(chunk);
          },
        }),
      ),
  };
}
