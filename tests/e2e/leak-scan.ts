/**
 * Searching what reached the server for secrets that must never leave the browser: every request a browser sent that
 * the server received (with its body), the server's own record of the requests, its log, every row of its database
 * and every blob it stored, each secret looked for in the clear and in the encodings a leak would take.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext } from 'playwright';
import { expect } from 'vitest';
import { queryRows } from '../../tools/harness/test-databases.ts';
import type { AppServer } from './app-server.ts';

/** A request as a browser sent it: its headers one `name: value` a line, and its body (empty when it had none). */
export interface CapturedRequest {
  url: string;
  headers: string;
  body: Buffer;
}

/** Records in `captured` every request of `context`'s pages and their dedicated workers. */
export function recordRequests(context: BrowserContext, captured: CapturedRequest[]): void {
  context.on('request', (request) => {
    captured.push({
      url: request.url(),
      headers: Object.entries(request.headers())
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n'),
      body: request.postDataBuffer() ?? Buffer.alloc(0),
    });
  });
}

/** A secret's bytes in the clear and in the encodings a leak could take. */
export const leakForms = (bytes: Buffer): string[] => [
  bytes.toString('latin1'),
  bytes.toString('hex'),
  bytes.toString('base64'),
  bytes.toString('base64').replace(/=+$/, ''),
  bytes.toString('base64url'),
];

/** What the server keeps: every row of every table as JSON text, and the bytes of every blob. */
export async function serverStore(server: AppServer): Promise<{ database: string[]; blobs: Buffer[] }> {
  const tables = await queryRows<{ table_name: string }>(
    server.db,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const database: string[] = [];
  for (const { table_name: table } of tables) {
    const rows = await queryRows<{ row: string }>(
      server.db,
      sql.raw(`select row_to_json(t)::text as row from "${table}" t`),
    );
    database.push(...rows.map(({ row }) => row));
  }
  const blobs = readdirSync(server.blobRoot, { recursive: true, encoding: 'utf8' })
    .map((path) => join(server.blobRoot, path))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path));
  return { database, blobs };
}

/**
 * Everything that reached the server as text: the captured requests it received (a service worker answers some on the
 * device), with their bodies; its own record of every request; its log; and the database's rows.
 */
export function reachedServer(server: AppServer, captured: CapturedRequest[], database: string[]): string[] {
  const reached = new Set(server.received.map((request) => request.url));
  return [
    ...captured
      .filter((request) => reached.has(request.url))
      .map((request) => `${request.url}\n${request.headers}\n${request.body.toString('latin1')}`),
    ...server.received.map((request) => `${request.url}\n${request.headers}`),
    ...server.logged,
    ...database,
  ];
}

/** Expects no secret in any text in any of its forms, nor its bytes in any blob; a failure names where it was found. */
export function expectNoLeak(secrets: Buffer[], texts: string[], blobs: Buffer[]): void {
  for (const secret of secrets) {
    const forms = leakForms(secret);
    expect(texts.filter((text) => forms.some((form) => text.includes(form))).map((text) => text.slice(0, 120))).toEqual(
      [],
    );
    for (const blob of blobs) expect(blob.includes(secret)).toBe(false);
  }
}
