/**
 * The table of attacks in docs/SECURITY.md, between its markers: one line per attack a hostile-server test mounted,
 * with the threat model's row, the attack and what the user saw, and the test file that mounted it. Each test file
 * owns its own lines, so that several files can publish their attacks in the one table, and each checks that its lines
 * are exactly what it just saw. UPDATE_SECURITY_TABLE=1 rewrites a file's lines instead of checking them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import { ROOT } from '../../run-command.ts';

export const SECURITY_DOC = join(ROOT, 'docs/SECURITY.md');
export const TABLE_START = '<!-- hostile-server-table:start -->';
export const TABLE_END = '<!-- hostile-server-table:end -->';
export const UPDATE_VARIABLE = 'UPDATE_SECURITY_TABLE';

/** The rows of the team's threat model (../shared/notes/threat-model.md). */
export const THREAT_ROWS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
export type ThreatRow = (typeof THREAT_ROWS)[number];

export interface PublishedAttack {
  row: ThreatRow;
  attack: string;
  seen: string;
  /** The test file that mounted it, from the repository's root. */
  test: string;
}

const HEADINGS = ['#', 'attack', 'what the user saw', 'test'];

/** The table's lines as the document has them. */
export function readPublished(document = readFileSync(SECURITY_DOC, 'utf8')): PublishedAttack[] {
  const section = tableSection(document);
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  return lines.slice(2).map((line) => {
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|'));
    const [row, attack, seen, test] = cells;
    return { row: Number(row) as ThreatRow, attack: attack!, seen: seen!, test: test!.replaceAll('`', '') };
  });
}

/** The document with `test`'s lines replaced by `attacks`, the others kept, all in the order of the rows. */
export async function withPublished(document: string, test: string, attacks: PublishedAttack[]): Promise<string> {
  const kept = readPublished(document).filter((line) => line.test !== test);
  const lines = [...kept, ...attacks].sort((a, b) => a.row - b.row || a.test.localeCompare(b.test));
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const table = [
    `| ${HEADINGS.join(' | ')} |`,
    `| ${HEADINGS.map(() => '---').join(' | ')} |`,
    ...lines.map((line) => `| ${line.row} | ${cell(line.attack)} | ${cell(line.seen)} | \`${line.test}\` |`),
  ].join('\n');
  const formatted = (await format(table, { parser: 'markdown', printWidth: 120 })).trimEnd();
  const start = document.indexOf(TABLE_START) + TABLE_START.length;
  return `${document.slice(0, start)}\n\n${formatted}\n\n${document.slice(document.indexOf(TABLE_END))}`;
}

/**
 * Checks that `test`'s lines in the table are `attacks`, in order, or rewrites them when UPDATE_SECURITY_TABLE is set.
 * The failure shows both and the command that rewrites the table.
 */
export async function checkPublished(test: string, attacks: PublishedAttack[]): Promise<void> {
  const document = readFileSync(SECURITY_DOC, 'utf8');
  if (process.env[UPDATE_VARIABLE]) {
    writeFileSync(SECURITY_DOC, await withPublished(document, test, attacks));
    return;
  }
  // Compared as the document would be written, so that what Prettier makes of the cells counts for both.
  if ((await withPublished(document, test, attacks)) === document) return;
  const published = readPublished(document).filter((line) => line.test === test);
  const show = (lines: PublishedAttack[]) => lines.map((line) => `  ${line.row} | ${line.attack} | ${line.seen}`);
  throw new Error(
    [
      `docs/SECURITY.md does not publish the attacks ${test} mounts.`,
      'Published:',
      ...show(published),
      'Tested:',
      ...show(attacks),
      `Rewrite it with: ${UPDATE_VARIABLE}=1 npx vitest run ${test}`,
    ].join('\n'),
  );
}

/** The threat model's rows that no line of the table covers. */
export function rowsWithoutAttack(published = readPublished()): ThreatRow[] {
  return THREAT_ROWS.filter((row) => !published.some((line) => line.row === row));
}

function tableSection(document: string): string {
  const start = document.indexOf(TABLE_START);
  const end = document.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/SECURITY.md has no ${TABLE_START} … ${TABLE_END} section`);
  return document.slice(start + TABLE_START.length, end);
}
