/**
 * `coffer export open ARCHIVE --recovery-code CODE OUT_DIR`: opens an encrypted export archive (docs/FORMAT.md section
 * 7) with the account's recovery code alone, without a server, into a new directory. A wrong code or an altered
 * archive is one line on stderr and a non-zero exit, and OUT_DIR is then not made.
 */
import { parseArgs } from 'node:util';
import { openExportArchive, type OpenedArchive } from '../../shared/crypto/index.ts';
import { treeOutput } from './tree-output.ts';
import { openZipArchive } from './zip-reader.ts';

export const EXPORT_USAGE = `  coffer export open ARCHIVE --recovery-code CODE OUT_DIR [--json]
                                             open an encrypted export archive made in the app into OUT_DIR (new)`;

export class ExportUsageError extends Error {}

const OPTIONS = { 'recovery-code': { type: 'string' }, json: { type: 'boolean' } } as const;

export async function runExportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, archive, out, ...rest] = positionals;
  if (command !== 'open' || !archive || !out || rest.length > 0 || values['recovery-code'] === undefined) {
    throw new ExportUsageError('usage: coffer export open ARCHIVE --recovery-code CODE OUT_DIR');
  }
  const opened = await openArchiveInto(archive, values['recovery-code'], out);
  process.stdout.write(
    (values.json
      ? JSON.stringify({ out, ...opened })
      : `${out}: ${opened.files} file(s) in ${opened.folders} folder(s), every one authenticated`) + '\n',
  );
}

export async function openArchiveInto(archive: string, recoveryCode: string, out: string): Promise<OpenedArchive> {
  const reader = await openZipArchive(archive);
  try {
    const output = await treeOutput(out);
    try {
      const opened = await openExportArchive(reader, recoveryCode, output);
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
