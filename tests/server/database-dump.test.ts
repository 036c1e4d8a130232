/**
 * A backup names the tables it dumps: a table added by a migration without its line there would be missing from every
 * backup, silently. So the dump of a fully migrated database must succeed (every table is dumped or left out on
 * purpose), and a database with a table the dump does not know is refused, on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.ts';
import { DUMP_HEADER, dumpDatabase } from '../../server/ops/database-dump.ts';
import { createPostgresDatabase, DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

describe.each(DATABASE_KINDS)('the database dump on %s', (kind) => {
  let handle: DatabaseHandle;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (kind === 'pglite') {
      handle = await openDatabase({ pgliteInMemory: true });
    } else {
      const created = await createPostgresDatabase();
      drop = created.drop;
      handle = await openDatabase({ url: created.url });
    }
  });

  afterAll(async () => {
    await handle?.close();
    await drop();
  });

  it('knows every table the migrations make', async () => {
    const dump = await dumpDatabase(handle.db);
    expect(dump.sql.startsWith(DUMP_HEADER)).toBe(true);
  });

  it('refuses a database with a table it does not know, naming it', async () => {
    await handle.db.execute('create table stray_notes (id integer)');
    await expect(dumpDatabase(handle.db)).rejects.toThrow(
      'the database has tables this backup does not know (stray_notes): refusing to take an incomplete backup',
    );
  });
});
