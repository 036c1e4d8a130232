/**
 * On Postgres, the server's queries are prepared statements (server/db/prepared-statements.ts): a query used again on
 * a connection is bound and executed without being parsed again. Postgres lists a session's prepared statements in
 * pg_prepared_statements; unnamed statements, as drizzle's driver makes them by default, never appear there.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../server/db/database.ts';
import { users } from '../../server/db/schema.ts';
import { openTestDatabase, queryRows } from '../../tools/harness/test-databases.ts';

describe('queries on Postgres', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestDatabase('postgres');
  });
  afterAll(() => handle.close());

  const prepared = (db: DatabaseHandle['db']) =>
    queryRows<{ statement: string }>(db, sql`select statement from pg_prepared_statements`);

  it('are prepared, in transactions and their savepoints too', async () => {
    const id = crypto.randomUUID();
    // One transaction holds one connection, so the statements it lists are the ones it prepared.
    const [inTransaction, inSavepoint] = await handle.db.transaction(async (tx) => {
      await tx.insert(users).values({ id, quotaBytes: 1 });
      const outer = await prepared(tx);
      const inner = await tx.transaction(async (savepoint) => {
        await savepoint.select().from(users).where(eq(users.id, id));
        return prepared(savepoint);
      });
      return [outer, inner];
    });
    expect(inTransaction.map((row) => row.statement)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^insert into "users"/)]),
    );
    expect(inSavepoint.map((row) => row.statement)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^select .* from "users" where "users"."id" = \$1/)]),
    );
  });
});
