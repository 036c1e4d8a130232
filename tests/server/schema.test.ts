/** The migrations run on both databases, and nothing in the schema can hold a name or a key in the clear. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../server/db/database.ts';
import { DATABASE_KINDS, openTestDatabase, queryRows } from '../../tools/harness/test-databases.ts';

/** Columns whose names mention keys or names, each with why it is safe. */
const EXPLAINED = {
  'credentials.public_key': 'a WebAuthn public key: public by definition',
  'public_keys.public_key': 'a published sharing or signing public key',
  'sessions.token_hash': 'the SHA-256 of the session token, not the token',
  'invites.token_hash': 'the SHA-256 of the invite token, not the token',
  'nodes.wrapped_key': 'a Fernet token under the parent folder key',
  'uploads.wrapped_key': 'the same, for a file whose upload is in progress',
  'shares.wrapped_grant': "a grant: the node key sealed to the recipient's public key, and the sender's signature",
  'links.wrapped_key': 'a Fernet token under the secret in the link fragment',
  'links.access_token_hash': "the SHA-256 of the link's access token, not the token",
  'links.encrypted_label': "sealed by the owner's client under the master key",
  'links.password_cost': "the Argon2id cost of the link's password: public parameters, no salt, no password",
  'request_links.encrypted_label': "sealed by the owner's client under the master key",
  'wrapped_keys.wrapped': 'a Fernet token under the passkey, passphrase, recovery or master key',
  'credentials.encrypted_label': 'encrypted by the client',
  'users.key_set': "the account's signed key set: public keys and digests of wrapped keys, no key itself",
  'users.key_set_version': 'the signed key set version, a counter',
} as const;

describe.each(DATABASE_KINDS)('schema on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database.close());

  it('has every table after the migrations', async () => {
    const rows = await queryRows<{ table_name: string }>(
      database.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'account_documents',
      'audit_events',
      'auth_challenges',
      'auth_lockouts',
      'auth_rate_limits',
      'backup_runs',
      'credentials',
      'editor_rosters',
      'folder_manifests',
      'instance_settings',
      'invites',
      'links',
      'nodes',
      'public_keys',
      'request_links',
      'request_rate_limits',
      'request_uploads',
      'revision_segments',
      'revisions',
      'sessions',
      'shares',
      'uploads',
      'users',
      'wrapped_keys',
    ]);
  });

  it('keeps the request rate limits out of the write-ahead log: a request need not wait for the disk', async () => {
    const rows = await queryRows<{ relpersistence: string }>(
      database.db,
      sql`select relpersistence from pg_class where relname = 'request_rate_limits'`,
    );
    expect(rows).toEqual([{ relpersistence: 'u' }]);
  });

  it('has no column that could hold a name or a key in the clear', async () => {
    const rows = await queryRows<{ table_name: string; column_name: string }>(
      database.db,
      sql`select table_name, column_name from information_schema.columns where table_schema = 'public'`,
    );
    const columns = rows.map((c) => `${c.table_name}.${c.column_name}`);
    const suspicious = columns.filter((column) =>
      /name|key|secret|password|passphrase|token|label|wrapped|prf/.test(column.split('.')[1]!),
    );
    expect(suspicious.sort()).toEqual(Object.keys(EXPLAINED).sort());
    // Metadata is bytes the server cannot read; text columns are ids, enums and wrapped-key tokens only.
    expect(columns).toContain('nodes.encrypted_metadata');
  });
});
