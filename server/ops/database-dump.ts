/**
 * A logical dump of the database, taken in one REPEATABLE READ transaction: plain SQL that loads into an empty Coffer
 * database at the same migration, on PGlite or on Postgres (so it is also the way from PGlite to Postgres). Each table
 * is one or more `insert ... select * from json_populate_recordset(...)` statements, one a line, in an order that
 * satisfies every foreign key; Postgres itself renders and parses the rows, so bytea, jsonb and timestamps round-trip
 * exactly. With the dump comes the list of blobs its rows point at, which a backup copies after it.
 *
 * Uploads still in progress are left out (their revisions, segments and upload rows): their blobs may still be
 * replaced or dropped by the upload's completion, and a restore that holds them would show a half-written upload.
 * After a restore such an upload is gone, and its client starts it again.
 */
import { sql } from 'drizzle-orm';
import type { Database, Transaction } from '../db/database.ts';
import { thumbnailKey } from '../revisions/thumbnails.ts';
import { segmentBytes, segmentKey } from '../uploads/segments.ts';
import { streamLayout } from '../uploads/stream-layout.ts';

export const DUMP_HEADER = '-- Coffer database dump, format 1';
export const DUMP_TRAILER = '-- end of Coffer database dump';

export interface DumpedBlob {
  key: string;
  size: number;
}

export interface DatabaseDump {
  /** The dump itself, one statement a line. */
  sql: string;
  /** How many migrations the database had run: the dump loads into a database at exactly that many. */
  migrations: number;
  /** The blobs that the dumped rows point at. */
  blobs: DumpedBlob[];
}

/**
 * The revisions a backup keeps: complete ones, and those a stranger finished uploading through a request link, which
 * wait for the owner to accept them (their revision completes then).
 */
export const KEPT_REVISIONS = `select id from revisions where completed_at is not null
  or id in (select revision_id from request_uploads where completed_at is not null)`;

/**
 * Tables in an order that satisfies every foreign key, each with the rows it keeps. Left out: the request rate
 * limits (unlogged, refilled by themselves), auth rate limit windows and WebAuthn challenges (minutes long at most),
 * and the scheduled backups' record, which tells of the instance it ran on, not of a restored one.
 */
const TABLES: { name: string; rows: string }[] = [
  { name: 'users', rows: 'select * from users order by created_at, id' },
  { name: 'credentials', rows: 'select * from credentials' },
  { name: 'sessions', rows: 'select * from sessions' },
  { name: 'public_keys', rows: 'select * from public_keys' },
  { name: 'wrapped_keys', rows: 'select * from wrapped_keys' },
  {
    name: 'nodes',
    // Parents before children: each node's parent must exist when it is inserted. A node's request link points back
    // at a folder node, so the link is set once the request links are in (relinkRequestNodes).
    rows: `with recursive tree as (
        select id, 0 as depth from nodes where parent_id is null
        union all select n.id, tree.depth + 1 from nodes n join tree on n.parent_id = tree.id)
      select (json_populate_record(nodes, '{"request_link_id": null}')).* from nodes join tree using (id)
      order by tree.depth, nodes.id`,
  },
  // A device that saw a folder's manifest warns when it is gone: a restore keeps them.
  { name: 'folder_manifests', rows: 'select * from folder_manifests' },
  // A member that saw a folder's editor roster warns when it is gone, as for manifests.
  { name: 'editor_rosters', rows: 'select * from editor_rosters' },
  { name: 'revisions', rows: `select * from revisions where id in (${KEPT_REVISIONS})` },
  { name: 'uploads', rows: `select * from uploads where revision_id in (${KEPT_REVISIONS})` },
  { name: 'revision_segments', rows: `select * from revision_segments where revision_id in (${KEPT_REVISIONS})` },
  { name: 'shares', rows: 'select * from shares' },
  { name: 'account_documents', rows: 'select * from account_documents' },
  { name: 'links', rows: 'select * from links' },
  { name: 'request_links', rows: 'select * from request_links' },
  {
    name: 'request_uploads',
    rows: 'select * from request_uploads where completed_at is not null',
  },
  { name: 'audit_events', rows: 'select * from audit_events order by id' },
  { name: 'instance_settings', rows: 'select * from instance_settings' },
  { name: 'invites', rows: 'select * from invites' },
  { name: 'auth_lockouts', rows: 'select * from auth_lockouts' },
];

/** Tables a dump leaves out on purpose; a restore empties them. */
export const NOT_DUMPED_TABLES = ['auth_challenges', 'auth_rate_limits', 'request_rate_limits', 'backup_runs'];

/** Every table a dump loads into, children first: the order to empty them in. */
export const DUMPED_TABLES_CHILDREN_FIRST = TABLES.map((table) => table.name).reverse();

/** Rows per statement: keeps each line of the dump to a size any SQL client takes. */
const ROWS_PER_STATEMENT = 500;

export async function dumpDatabase(db: Database): Promise<DatabaseDump> {
  return db.transaction(
    async (tx) => {
      await refuseUnknownTables(tx);
      const lines = [DUMP_HEADER, 'set standard_conforming_strings = on;', 'delete from instance_settings;'];
      for (const table of TABLES) {
        lines.push(
          ...(await rowStatements(
            tx,
            table.rows,
            (rows) => `insert into ${table.name} select * from json_populate_recordset(null::${table.name}, ${rows});`,
          )),
        );
      }
      lines.push(...(await relinkRequestNodes(tx)));
      lines.push(
        "select setval(pg_get_serial_sequence('audit_events', 'id'), coalesce(max(id), 0) + 1, false) from audit_events;",
        DUMP_TRAILER,
      );
      const [{ count }] = (await rowsOf<{ count: number }>(
        tx,
        'select count(*)::int as count from drizzle.__drizzle_migrations',
      )) as [{ count: number }];
      return { sql: lines.join('\n') + '\n', migrations: count, blobs: await referencedBlobs(tx) };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Sets each node's request link, left out when the nodes were inserted, as updates from the same JSON rows. */
function relinkRequestNodes(tx: Transaction): Promise<string[]> {
  return rowStatements(
    tx,
    'select id, request_link_id from nodes where request_link_id is not null',
    (rows) =>
      `update nodes set request_link_id = r.request_link_id from json_populate_recordset(null::nodes, ${rows}) r where nodes.id = r.id;`,
  );
}

/** The rows a query selects, as JSON arrays quoted for SQL, each made into one statement by `statement`. */
async function rowStatements(tx: Transaction, query: string, statement: (rows: string) => string): Promise<string[]> {
  const rows = await rowsOf<{ row: string }>(tx, `select row_to_json(t)::text as row from (${query}) t`);
  const statements = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const batch = rows.slice(start, start + ROWS_PER_STATEMENT).map((r) => r.row);
    statements.push(statement(literal(`[${batch.join(',')}]`)));
  }
  return statements;
}

/**
 * A table this module does not name would be missing from every backup without a word, and a restore from it would
 * lose data: so a dump of a database with such a table (a migration that came without its line here) fails loudly.
 */
async function refuseUnknownTables(tx: Transaction): Promise<void> {
  const known = new Set([...TABLES.map((table) => table.name), ...NOT_DUMPED_TABLES]);
  const tables = await rowsOf<{ name: string }>(
    tx,
    "select table_name as name from information_schema.tables where table_schema = 'public' order by table_name",
  );
  const unknown = tables.map((table) => table.name).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `the database has tables this backup does not know (${unknown.join(', ')}): refusing to take an incomplete backup`,
    );
  }
}

/** The blobs of every kept revision: its segments and its thumbnail, with the size each must have. */
export async function referencedBlobs(tx: Database | Transaction): Promise<DumpedBlob[]> {
  const rows = await rowsOf<{
    id: string;
    size: number | string;
    chunk_size: number;
    chunk_count: number;
    thumbnail_bytes: number | null;
    first_index: number | null;
    segment_chunks: number | null;
  }>(
    tx,
    `select r.id, r.size, r.chunk_size, r.chunk_count, r.thumbnail_bytes, s.first_index,
        s.chunk_count as segment_chunks
      from revisions r left join revision_segments s on s.revision_id = r.id
      where r.id in (${KEPT_REVISIONS}) order by r.id, s.first_index`,
  );
  const blobs: DumpedBlob[] = [];
  const thumbnails = new Set<string>();
  for (const row of rows) {
    if (row.first_index !== null && row.segment_chunks !== null) {
      const layout = streamLayout(row.chunk_size, Number(row.size), row.chunk_count);
      const segment = { firstIndex: row.first_index, chunkCount: row.segment_chunks };
      blobs.push({ key: segmentKey(row.id, segment), size: segmentBytes(layout, segment) });
    }
    if (row.thumbnail_bytes !== null && !thumbnails.has(row.id)) {
      thumbnails.add(row.id);
      blobs.push({ key: thumbnailKey(row.id), size: row.thumbnail_bytes });
    }
  }
  return blobs;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function rowsOf<T>(tx: Database | Transaction, query: string): Promise<T[]> {
  const result = (await tx.execute(sql.raw(query))) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
