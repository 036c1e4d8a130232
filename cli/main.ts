/**
 * The `coffer` command. Reads stdin, writes stdout (or --output, written atomically), and on bad input prints one
 * line naming what is wrong and exits non-zero. See `coffer help`.
 */
import { randomUUID } from 'node:crypto';
import { fstatSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CofferCryptoError,
  createDecryptStream,
  createEncryptStream,
  decodeKeyText,
  decryptTokenText,
  encodeBase64url,
  encryptTokenText,
  generateKey,
  importFernetKey,
  uuidToBytes,
} from '../shared/crypto/index.ts';
import { ConfigError } from '../server/config.ts';
import { ApiError } from '../server/http/errors.ts';
import { ADMIN_USAGE, AdminUsageError, runAdmin } from './admin.ts';
import { BackupError } from '../server/backup/backup-error.ts';
import { BACKUP_USAGE, BackupUsageError, runBackupCommand } from './backup/commands.ts';
import { atomicFileSink } from './atomic-file.ts';
import { Progress } from './progress.ts';
import { EXPORT_USAGE, ExportUsageError, runExportCommand } from './export/commands.ts';
import { InterruptedError } from './hidden-line.ts';
import { OutputExistsError } from './export/tree-output.ts';
import { pump } from './pump.ts';

const USAGE = `usage:
  coffer keygen                              print a new random key (base64url)
  coffer fernet encrypt --key K              stdin to a Fernet token on stdout
  coffer fernet decrypt --key K [--ttl S]    a Fernet token on stdin to its plaintext
  coffer encrypt --key K [--file-id UUID] [--revision N] [--chunk-size BYTES] [-o FILE] [--quiet]
  coffer decrypt --key K [--file-id UUID] [--revision N] [-o FILE] [--quiet]
K is a 32-byte key in base64url; --key-file F reads it from a file instead of the command line.
${ADMIN_USAGE}
${BACKUP_USAGE}
${EXPORT_USAGE}
encrypt/decrypt use the Coffer stream format (docs/FORMAT.md). With -o, the output file appears only once every
chunk has been authenticated; on stdout, each chunk is written once it has been. At a terminal, work that lasts more
than a second shows its progress on stderr (with the time left when stdin is a file); --quiet hides it.`;

class UsageError extends Error {}

const OPTIONS = {
  key: { type: 'string' },
  'key-file': { type: 'string' },
  ttl: { type: 'string' },
  'file-id': { type: 'string' },
  revision: { type: 'string' },
  'chunk-size': { type: 'string' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'admin') return runAdmin(argv.slice(1));
  if (argv[0] === 'backup' || argv[0] === 'restore' || argv[0] === 'fsck')
    return runBackupCommand(argv[0], argv.slice(1));
  if (argv[0] === 'export') return runExportCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: joinOptionValues(argv),
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const command = positionals.join(' ');
  if (values.help || command === 'help' || command === '') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  switch (command) {
    case 'keygen':
      process.stdout.write(encodeBase64url(generateKey()) + '\n');
      return;
    case 'fernet encrypt': {
      const key = await importFernetKey(readKey(values));
      process.stdout.write((await encryptTokenText(key, await readAll(process.stdin))) + '\n');
      return;
    }
    case 'fernet decrypt': {
      const key = await importFernetKey(readKey(values));
      const token = new TextDecoder().decode(await readAll(process.stdin));
      const ttl = values.ttl === undefined ? undefined : integer('--ttl', values.ttl, 0, Number.MAX_SAFE_INTEGER);
      process.stdout.write(await decryptTokenText(key, token, ttl === undefined ? {} : { ttlSeconds: ttl }));
      return;
    }
    case 'encrypt':
      return pipe(
        values,
        'encrypting',
        createEncryptStream({
          fileKey: readKey(values),
          fileId: fileId(values['file-id'] ?? randomUUID()),
          revision: values.revision === undefined ? 0 : integer('--revision', values.revision, 0, 0xffffffff),
          ...(values['chunk-size'] === undefined
            ? {}
            : { chunkSize: integer('--chunk-size', values['chunk-size'], 0, 2 ** 32) }),
        }),
      );
    case 'decrypt':
      return pipe(
        values,
        'decrypting',
        createDecryptStream({
          fileKey: readKey(values),
          expected: {
            ...(values['file-id'] === undefined ? {} : { fileId: fileId(values['file-id']) }),
            ...(values.revision === undefined
              ? {}
              : { revision: integer('--revision', values.revision, 0, 0xffffffff) }),
          },
        }),
      );
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/**
 * Turns `--key VALUE` into `--key=VALUE`: one base64url key in 64 starts with '-', which parseArgs would otherwise
 * take for an option.
 */
function joinOptionValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : undefined;
    const option = name === undefined ? undefined : OPTIONS[name as keyof typeof OPTIONS];
    if (option?.type === 'string' && i + 1 < argv.length) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

function readKey(values: Options): Uint8Array {
  if (values.key !== undefined && values['key-file'] !== undefined)
    throw new UsageError('give --key or --key-file, not both');
  if (values['key-file'] !== undefined) return decodeKeyText(readFileSync(values['key-file'], 'utf8'));
  if (values.key === undefined) throw new UsageError('--key is required');
  return decodeKeyText(values.key);
}

/** A file id as typed: a UUID in either case, its hyphens optional; the format takes its one spelling. */
function fileId(text: string): Uint8Array {
  if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(text)) {
    throw new UsageError(`--file-id must be a UUID, got "${text}"`);
  }
  const hex = text.toLowerCase().replaceAll('-', '');
  return uuidToBytes(
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  );
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

async function readAll(input: NodeJS.ReadableStream): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of input) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** The same command is run on a few bytes as often as on gigabytes: only work that lasts shows progress. */
const PROGRESS_AFTER_MS = 1000;

async function pipe(values: Options, what: string, transform: TransformStream<Uint8Array, Uint8Array>): Promise<void> {
  const progress = new Progress(what, stdinSize(), values.quiet === true, { silentForMs: PROGRESS_AFTER_MS });
  const read = (bytes: number) => progress.add(bytes);
  try {
    if (values.output === undefined) {
      await pump(process.stdin, transform, process.stdout, read);
      return;
    }
    const sink = atomicFileSink(values.output);
    try {
      await pump(process.stdin, transform, sink.stream, read);
      await sink.commit();
    } catch (error) {
      await sink.discard();
      throw error;
    }
  } finally {
    progress.finish();
  }
}

/** The input's length when stdin is a file (`< big.bin`); a pipe's is not known until it ends. */
function stdinSize(): number | undefined {
  const stat = fstatSync(0);
  return stat.isFile() ? stat.size : undefined;
}

function fail(message: string, status: number): never {
  process.stderr.write(`coffer: ${message.replaceAll('\n', ' ')}\n`);
  process.exit(status);
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // A reader that stops early (`coffer decrypt ... | head`) is not an error of ours.
  if (error.code === 'EPIPE') process.exit(0);
  fail(error.message, 1);
});

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CofferCryptoError) fail(`${error.code}: ${error.message}`, 1);
  if (error instanceof ApiError) fail(`${error.code}: ${error.message}`, 1);
  if (error instanceof BackupError || error instanceof OutputExistsError) fail(error.message, 1);
  if (error instanceof ConfigError) fail(error.problems.join('; '), 2);
  // The status a shell gives a command that Ctrl-C stopped.
  if (error instanceof InterruptedError) fail(error.message, 130);
  const usage =
    error instanceof UsageError ||
    error instanceof AdminUsageError ||
    error instanceof BackupUsageError ||
    error instanceof ExportUsageError ||
    (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS'));
  if (usage) fail(`${(error as Error).message} (see "coffer help")`, 2);
  fail(error instanceof Error ? error.message : String(error), 1);
});
