/** `coffer admin` against an embedded database in a DATA_DIR, as an operator runs it beside a stopped server. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/database.ts';
import { invites, users } from '../../server/db/schema.ts';
import { hashSessionToken } from '../../server/http/auth.ts';
import { COFFER, ROOT } from '../run-command.ts';

const ORIGIN = 'https://coffer.example';

describe('coffer admin', () => {
  let dataDir: string;
  const userId = crypto.randomUUID();

  const admin = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PUBLIC_ORIGIN: ORIGIN };
      delete env.DATABASE_URL;
      const child = spawn(process.execPath, [...COFFER, 'admin', ...args], { cwd: ROOT, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (part: Buffer) => (stdout += part.toString()));
      child.stderr.on('data', (part: Buffer) => (stderr += part.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  /** The database between two commands: PGlite serves one process at a time. */
  async function withDatabase<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>) {
    const database = await openDatabase({ pgliteDir: join(dataDir, 'pglite') });
    try {
      return await work(database.db);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'coffer-admin-cli-'));
    await withDatabase((db) => db.insert(users).values({ id: userId, quotaBytes: 1024 }));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lists accounts as JSON, and sets a quota and disables one', async () => {
    const listed = await admin('users', '--json');
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toEqual({
      users: [expect.objectContaining({ id: userId, quotaBytes: 1024, status: 'active', usedBytes: 0, passkeys: 0 })],
    });
    expect((await admin('quota', userId, '5000')).status).toBe(0);
    expect((await admin('disable', userId)).stdout).toMatch(/^disabled /);
    const row = await withDatabase(async (db) => (await db.select().from(users).where(eq(users.id, userId)))[0]);
    expect({ quotaBytes: row!.quotaBytes, disabled: row!.disabledAt !== null }).toEqual({
      quotaBytes: 5000,
      disabled: true,
    });
  });

  it('prints a one-time sign-up link on the public origin, whose token the database keeps only hashed', async () => {
    const made = await admin('invite', '--expires-hours', '2');
    expect(made.status).toBe(0);
    const link = made.stdout.trim();
    expect(link).toMatch(new RegExp(`^${ORIGIN}/signup#invite=[A-Za-z0-9_-]{43}$`));
    const token = new URLSearchParams(new URL(link).hash.slice(1)).get('invite')!;
    const stored = await withDatabase((db) => db.select().from(invites));
    expect(stored.map((invite) => Buffer.from(invite.tokenHash).toString('hex'))).toEqual([
      Buffer.from(await hashSessionToken(token)).toString('hex'),
    ]);
  });

  it('shows and sets the registration mode, and refuses a wrong one in one line with exit code 2', async () => {
    expect(JSON.parse((await admin('mode', '--json')).stdout)).toEqual({ mode: 'open' });
    expect((await admin('mode', 'closed')).stdout.trim()).toBe('registration: closed');
    const wrong = await admin('mode', 'everyone');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^coffer: mode must be one of/)]);
    const missing = await admin('enable', crypto.randomUUID());
    expect({ status: missing.status, stderr: missing.stderr }).toEqual({
      status: 1,
      stderr: expect.stringMatching(/^coffer: NOT_FOUND: no account [0-9a-f-]+\n$/),
    });
  });
});
