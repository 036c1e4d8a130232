/**
 * Copies every row of one database's tables into another database of the same schema (made by the same migrations),
 * so that a ceiling starts from the very users, sessions, folders and files Coffer's phase starts from. With
 * pg_dump and psql, which come with Postgres; triggers and foreign keys are not checked while the rows go in.
 */
import { execFileSync } from 'node:child_process';
import postgres from 'postgres';

export async function copyRows(fromUrl: string, toUrl: string): Promise<void> {
  const to = postgres(toUrl, { max: 1, onnotice: () => undefined });
  try {
    const names = await to<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public'`;
    // The migrations seed a few rows (the instance's settings), which the copy brings as they are in the source.
    await to.unsafe(`truncate ${names.map(({ name }) => `"public"."${name}"`).join(', ')}`);
  } finally {
    await to.end();
  }
  const rows = execFileSync('pg_dump', ['--data-only', '--schema=public', '--disable-triggers', fromUrl], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  execFileSync('psql', ['--quiet', '--set=ON_ERROR_STOP=1', toUrl], {
    input: rows,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
}
