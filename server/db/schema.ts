/**
 * The database model. Only ciphertext, sizes, ids and timestamps: file and folder names, dates and types live in
 * `encrypted_metadata`; keys live only wrapped (Fernet tokens, docs/FORMAT.md section 4). No column holds a name or a
 * key in the clear.
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Grant } from '../../shared/crypto/grant.ts';
import type { FolderManifestEntry } from '../../shared/crypto/folder-manifest.ts';
import type { RosterEditor } from '../../shared/crypto/editor-roster.ts';
import type { AuthorSignature } from '../../shared/crypto/node-author.ts';
import type { SignedKeySet } from '../../shared/crypto/key-set.ts';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => new Uint8Array(value),
});

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const bytes = (name: string) => bigint(name, { mode: 'number' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    role: text('role', { enum: ['user', 'admin'] })
      .notNull()
      .default('user'),
    quotaBytes: bytes('quota_bytes').notNull(),
    /**
     * SHA-256 of a key the client derives from the recovery key (never the recovery key itself): presenting that derived
     * key signs in a user who lost every passkey.
     */
    recoveryVerifier: bytea('recovery_verifier').unique(),
    createdAt: createdAt(),
    disabledAt: at('disabled_at'),
    /**
     * The public name others find this account by (server/accounts/handles.ts), in the case its owner chose; unique
     * whatever the case. The only thing about the person the server keeps in the clear.
     */
    handle: text('handle'),
    /**
     * The account's latest key set (docs/FORMAT.md section 4.8), signed by the client, and its version, which only
     * ever grows by one; both null for an account made before key sets, until its next unlock writes version 1.
     */
    keySet: jsonb('key_set').$type<SignedKeySet>(),
    keySetVersion: integer('key_set_version'),
  },
  (t) => [uniqueIndex('users_handle_idx').on(sql`lower(${t.handle})`)],
);

/**
 * WebAuthn challenges, single-use and short-lived, kept in the database so that any server instance can check them.
 * Each is bound to whoever asked: the hash of a challenge cookie (before sign-in) or of the session token.
 */
export const authChallenges = pgTable(
  'auth_challenges',
  {
    challenge: text('challenge').primaryKey(),
    purpose: text('purpose', { enum: ['sign-up', 'sign-in', 'add-passkey', 'step-up'] }).notNull(),
    /** The account being created (sign-up), added to (add-passkey) or confirmed (step-up). */
    userId: uuid('user_id'),
    requesterHash: bytea('requester_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [index('auth_challenges_expires_idx').on(t.expiresAt)],
);

/** Fixed-window counters for the auth routes' rate limits, shared by every server instance. */
export const authRateLimits = pgTable('auth_rate_limits', {
  bucket: text('bucket').primaryKey(),
  windowStart: at('window_start').notNull(),
  count: integer('count').notNull(),
});

/**
 * The API's request rate limits (server/http/rate-limit.ts), one token bucket per account or client address, shared by
 * every server process. A bucket is one time: when it will be full again (the generic cell rate algorithm); a bucket
 * full by now says nothing a missing row would not, and is collected. UNLOGGED (written into the migration by hand:
 * drizzle cannot declare it): every API request updates a row, and a commit that wrote only unlogged rows does not
 * wait for the disk; a crash of Postgres empties the table, which only refills the buckets.
 */
export const requestRateLimits = pgTable('request_rate_limits', {
  bucket: text('bucket').primaryKey(),
  // No index: every API request updates this column, and the collector's scan of a row per active account and
  // address, on each collection run, costs less than keeping one.
  fullAt: at('full_at').notNull(),
});

/**
 * Failed sign-ins and recoveries per bucket (`account:<id>` or `address:<client address>`), and until when further tries
 * are refused (server/auth/lockout.ts). In the database, so that a lockout holds across server processes.
 */
export const authLockouts = pgTable('auth_lockouts', {
  bucket: text('bucket').primaryKey(),
  failures: integer('failures').notNull(),
  lastFailureAt: at('last_failure_at').notNull(),
  lockedUntil: at('locked_until'),
});

/** WebAuthn credentials (passkeys). Their public keys are public; the label is encrypted by the client. */
export const credentials = pgTable(
  'credentials',
  {
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    publicKey: bytea('public_key').notNull(),
    counter: bytes('counter').notNull().default(0),
    transports: jsonb('transports').$type<string[]>().notNull().default([]),
    encryptedLabel: bytea('encrypted_label'),
    createdAt: createdAt(),
    lastUsedAt: at('last_used_at'),
  },
  (t) => [index('credentials_user_idx').on(t.userId)],
);

/** Sign-in sessions: only the SHA-256 of the random token is stored. */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    /** Names the session in listings, so one can be signed out without revealing any token hash. */
    id: uuid('id').notNull().unique().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastSeenAt: at('last_seen_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
    /**
     * The passkey whose assertion started the session (null for a recovery), so that removing it ends the session.
     * The reference is cleared when the passkey goes, after its sessions were revoked.
     */
    credentialId: text('credential_id').references(() => credentials.id, { onDelete: 'set null' }),
    /** The last verified proof with user verification (sign-up, sign-in, recovery or step-up) on this session. */
    steppedUpAt: at('stepped_up_at'),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_credential_idx').on(t.credentialId)],
);

/** Published public keys (sharing and signing), so that others can wrap keys for this user and verify signatures. */
export const publicKeys = pgTable(
  'public_keys',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['sharing', 'signing'] }).notNull(),
    publicKey: bytea('public_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('public_keys_user_idx').on(t.userId)],
);

/**
 * The account's own keys, wrapped: the master key under each passkey's PRF output, the passphrase and the recovery
 * key; the private keys under the master key. `params` holds public KDF parameters (salts, iterations).
 */
export const wrappedKeys = pgTable(
  'wrapped_keys',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    credentialId: text('credential_id').references(() => credentials.id, { onDelete: 'cascade' }),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    wrapped: text('wrapped').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('wrapped_keys_user_idx').on(t.userId)],
);

/**
 * Files and folders. The id is made by the client, because it is bound into the node's encrypted metadata and into
 * every chunk key. `wrapped_key` is the node's key wrapped under its parent's key (the root's under the master key).
 */
export const nodes = pgTable(
  'nodes',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    parentId: uuid('parent_id').references((): AnyPgColumn => nodes.id),
    kind: text('kind', { enum: ['file', 'folder'] }).notNull(),
    wrappedKey: text('wrapped_key').notNull(),
    encryptedMetadata: bytea('encrypted_metadata').notNull(),
    currentRevisionId: uuid('current_revision_id'),
    /**
     * Who last wrote the node's metadata (made, revised, renamed, moved or restored it, or rotated its key): its
     * owner, or an editor of a share it is in ("added by").
     */
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    /** For a file a stranger uploaded through a request link and the owner accepted: that link ("from request link"). */
    requestLinkId: uuid('request_link_id').references((): AnyPgColumn => requestLinks.id, { onDelete: 'set null' }),
    /** That writer's signature of what it wrote (docs/FORMAT.md section 5.2), as sent; null when sent unsigned. */
    authorSignature: jsonb('author_signature').$type<AuthorSignature>(),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    trashedAt: at('trashed_at'),
  },
  (t) => [
    index('nodes_parent_idx').on(t.parentId),
    index('nodes_owner_idx').on(t.ownerId),
    // The trash listing and the 30-day expiry read only trashed nodes.
    index('nodes_trashed_idx')
      .on(t.ownerId, t.trashedAt)
      .where(sql`${t.trashedAt} is not null`),
    // One root per user: the folder with no parent.
    uniqueIndex('nodes_one_root_idx')
      .on(t.ownerId)
      .where(sql`${t.parentId} is null`),
    check('nodes_root_is_folder', sql`${t.parentId} is not null or ${t.kind} = 'folder'`),
  ],
);

/**
 * The latest signed manifest of a folder (docs/FORMAT.md section 5.3): its version, the account that signed it (the
 * server's record of the writer, which the signature binds; kept without a foreign key, as the signature outlives the
 * account), the children it names and the signature. A write names the next version, so that two writers never
 * both sign the same one.
 */
export const folderManifests = pgTable('folder_manifests', {
  folderId: uuid('folder_id')
    .primaryKey()
    .references(() => nodes.id, { onDelete: 'cascade' }),
  // Up to 2^32 - 1, the format's u32.
  version: bytes('version').notNull(),
  writerId: uuid('writer_id').notNull(),
  children: jsonb('children').$type<FolderManifestEntry[]>().notNull(),
  signature: text('signature').notNull(),
  updatedAt: at('updated_at').notNull(),
});

/**
 * The latest editor roster of a shared folder (docs/FORMAT.md section 5.4), signed by the folder's owner: its version,
 * the editors it names with their signing keys, and the signature. Members check it with the owner's key; the server
 * keeps the versions increasing, so that it cannot take a newer one back with a write.
 */
export const editorRosters = pgTable('editor_rosters', {
  folderId: uuid('folder_id')
    .primaryKey()
    .references(() => nodes.id, { onDelete: 'cascade' }),
  // Up to 2^32 - 1, the format's u32.
  version: bytes('version').notNull(),
  editors: jsonb('editors').$type<RosterEditor[]>().notNull(),
  signature: text('signature').notNull(),
  updatedAt: at('updated_at').notNull(),
});

/**
 * The content of a file at one point in time: the 80-byte stream header (public, authenticated parameters) and the
 * chunks, stored in segment blobs under `revisions/<id>/` (revision_segments). A revision is visible only once `completed_at` is set, in the
 * same transaction that makes it the file's current revision. `node_id` has no foreign key because the first
 * revision of a new file exists before its node does.
 */
export const revisions = pgTable(
  'revisions',
  {
    id: uuid('id').primaryKey(),
    nodeId: uuid('node_id').notNull(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    header: bytea('header').notNull(),
    chunkSize: integer('chunk_size').notNull(),
    chunkCount: integer('chunk_count').notNull(),
    size: bytes('size').notNull(),
    /** Bytes of the encrypted thumbnail the client made (blob `revisions/<id>/thumbnail`), or null for none. */
    thumbnailBytes: integer('thumbnail_bytes'),
    /** Who uploaded the revision: the owner, or an editor of a share (whose upload counts against the owner's quota). */
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    completedAt: at('completed_at'),
  },
  (t) => [uniqueIndex('revisions_node_number_idx').on(t.nodeId, t.number), index('revisions_owner_idx').on(t.ownerId)],
);

/**
 * An upload in progress. For a new file it carries the node to create (parent, wrapped key, metadata), so that the
 * node appears only when its first revision is complete.
 */
export const uploads = pgTable(
  'uploads',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    revisionId: uuid('revision_id')
      .notNull()
      .references(() => revisions.id, { onDelete: 'cascade' }),
    nodeId: uuid('node_id').notNull(),
    newNode: boolean('new_node').notNull(),
    parentId: uuid('parent_id'),
    wrappedKey: text('wrapped_key'),
    encryptedMetadata: bytea('encrypted_metadata'),
    /** For a new file, its author's signature, which the node takes when the upload completes. */
    authorSignature: jsonb('author_signature').$type<AuthorSignature>(),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
    completedAt: at('completed_at'),
  },
  (t) => [index('uploads_user_idx').on(t.userId), index('uploads_expires_idx').on(t.expiresAt)],
);

/**
 * Where a revision's chunks are stored: each segment is one blob holding chunks [first_index, first_index +
 * chunk_count), as one upload request sent them. While uploading, a row is written after its blob is stored, and
 * segments may overlap (a batch sent again differently); completion keeps one set that covers each chunk once.
 */
export const revisionSegments = pgTable(
  'revision_segments',
  {
    revisionId: uuid('revision_id')
      .notNull()
      .references(() => revisions.id, { onDelete: 'cascade' }),
    firstIndex: integer('first_index').notNull(),
    chunkCount: integer('chunk_count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.revisionId, t.firstIndex, t.chunkCount] })],
);

/**
 * A node shared with another account: the grant exactly as its sender made it (docs/FORMAT.md section 4.3), which
 * the recipient verifies before using it, and its terms in columns the access policy reads. One share per node and
 * recipient: sharing again replaces the grant. It gives access only once accepted; revoking deletes it.
 */
export const shares = pgTable(
  'shares',
  {
    id: uuid('id').primaryKey(),
    nodeId: uuid('node_id')
      .notNull()
      .references(() => nodes.id, { onDelete: 'cascade' }),
    /** Whose tree the node is in: its quota, its trash. */
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    senderId: uuid('sender_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    recipientId: uuid('recipient_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['file', 'folder'] }).notNull(),
    role: text('role', { enum: ['viewer', 'editor'] }).notNull(),
    /** The node key sealed to the recipient's public key, and the sender's signature over every term. */
    wrappedGrant: jsonb('wrapped_grant').$type<Grant>().notNull(),
    status: text('status', { enum: ['pending', 'accepted', 'declined'] })
      .notNull()
      .default('pending'),
    createdAt: createdAt(),
    acceptedAt: at('accepted_at'),
  },
  (t) => [
    uniqueIndex('shares_node_recipient_idx').on(t.nodeId, t.recipientId),
    index('shares_recipient_idx').on(t.recipientId, t.status),
  ],
);

/**
 * Documents an account keeps for itself, sealed on its devices under its master key (its contacts, with the keys it
 * pinned; the shares it accepted): one per kind, opaque to the server. `version` counts writes, so that two devices never overwrite each
 * other's change unseen (a write names the version it changed).
 */
export const accountDocuments = pgTable(
  'account_documents',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['contacts', 'accepted-shares'] }).notNull(),
    version: integer('version').notNull(),
    sealed: text('sealed').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind] })],
);

/**
 * A share link (docs/FORMAT.md section 4.4): the node key wrapped under a secret that exists only in the link's URL
 * fragment, and the SHA-256 of the access token derived from it, never the token. The label is sealed by the owner's
 * client; a password leaves only its Argon2id cost here, the salt coming from the secret.
 */
export const links = pgTable(
  'links',
  {
    /** Made by the owner's client: it is bound into the wrap. */
    id: uuid('id').primaryKey(),
    nodeId: uuid('node_id')
      .notNull()
      .references(() => nodes.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['file', 'folder'] }).notNull(),
    wrappedKey: text('wrapped_key').notNull(),
    accessTokenHash: bytea('access_token_hash').notNull(),
    encryptedLabel: text('encrypted_label'),
    /** The password's Argon2id cost, or null for a link without a password. */
    passwordCost: jsonb('password_cost').$type<{ memoryKiB: number; passes: number; parallelism: number }>(),
    /** False for a preview-only link: the page shows the item and offers no download. */
    allowDownload: boolean('allow_download').notNull().default(true),
    downloadLimit: integer('download_limit'),
    downloadCount: integer('download_count').notNull().default(0),
    /** Opens of the link with the right token. */
    useCount: integer('use_count').notNull().default(0),
    createdAt: createdAt(),
    expiresAt: at('expires_at'),
    revokedAt: at('revoked_at'),
    lastUsedAt: at('last_used_at'),
  },
  (t) => [index('links_node_idx').on(t.nodeId), index('links_owner_idx').on(t.ownerId, t.createdAt)],
);

/**
 * A file-request link (docs/FORMAT.md section 4.5): `/r/<id>#<owner's key fingerprint>`, through which someone with no
 * account uploads into one of the owner's folders. The id is the link's only secret; the fingerprint, which the server
 * never sees, lets the page check the owner's keys. The label is sealed by the owner's client; the message is for the
 * uploader, so in the clear, and signed by the owner (section 4.5) so that the server cannot change it. Files and bytes
 * count every upload begun, accepted or not, against the link's limits.
 */
export const requestLinks = pgTable(
  'request_links',
  {
    /** Made by the owner's client: it is bound into the message's signature and every upload's seal. */
    id: uuid('id').primaryKey(),
    nodeId: uuid('node_id')
      .notNull()
      .references((): AnyPgColumn => nodes.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    encryptedLabel: text('encrypted_label'),
    message: text('message').notNull(),
    messageSignature: text('message_signature').notNull(),
    maxFiles: integer('max_files').notNull(),
    maxBytes: bytes('max_bytes').notNull(),
    fileCount: integer('file_count').notNull().default(0),
    byteCount: bytes('byte_count').notNull().default(0),
    createdAt: createdAt(),
    expiresAt: at('expires_at'),
    revokedAt: at('revoked_at'),
    lastUsedAt: at('last_used_at'),
  },
  (t) => [index('request_links_node_idx').on(t.nodeId), index('request_links_owner_idx').on(t.ownerId, t.createdAt)],
);

/**
 * A file uploaded through a request link: its revision (owned by, and counted against the quota of, the link's owner)
 * fills while `completed_at` is null, then waits for the owner, outside the tree, until accepted (it becomes the node
 * `node_id` in folder `parent_id`, and this row goes) or declined (revision and blobs go, and with them this row).
 * `seal` is the file key sealed to the owner (section 4.5); the metadata is encrypted under the file key, as any file's.
 */
export const requestUploads = pgTable(
  'request_uploads',
  {
    id: uuid('id').primaryKey(),
    requestLinkId: uuid('request_link_id')
      .notNull()
      .references(() => requestLinks.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    revisionId: uuid('revision_id')
      .notNull()
      .unique()
      .references(() => revisions.id, { onDelete: 'cascade' }),
    nodeId: uuid('node_id').notNull().unique(),
    parentId: uuid('parent_id').notNull(),
    seal: jsonb('seal').$type<{ ephemeralPublicKey: string; wrapped: string }>().notNull(),
    encryptedMetadata: bytea('encrypted_metadata').notNull(),
    createdAt: createdAt(),
    /** While uploading: when an idle upload is given up (the collector discards it). */
    expiresAt: at('expires_at').notNull(),
    completedAt: at('completed_at'),
  },
  (t) => [
    index('request_uploads_owner_idx').on(t.ownerId, t.completedAt),
    index('request_uploads_expires_idx').on(t.expiresAt),
  ],
);

/** Security-relevant events, shown to the user and to administrators. `details` never holds secrets. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    type: text('type').notNull(),
    requestId: text('request_id'),
    /** Where the request came from; it is pruned with the event (AUDIT_RETENTION_DAYS). */
    clientAddress: text('client_address'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('audit_events_user_idx').on(t.userId, t.createdAt), index('audit_events_created_idx').on(t.createdAt)],
);

/**
 * The instance's own settings: one row (id 1), made by the migration. `registration_mode` is null until an admin
 * sets it (the configured default applies then); `first_admin_at` is set by the sign-up that made the first admin,
 * in the same transaction, so that two sign-ups at once cannot both claim it.
 */
export const instanceSettings = pgTable(
  'instance_settings',
  {
    id: integer('id').primaryKey(),
    registrationMode: text('registration_mode', { enum: ['open', 'invite-only', 'closed'] }),
    /** Quota of a new account, when an admin set one; otherwise DEFAULT_QUOTA_BYTES. */
    defaultQuotaBytes: bytes('default_quota_bytes'),
    firstAdminAt: at('first_admin_at'),
  },
  (t) => [check('instance_settings_one_row', sql`${t.id} = 1`)],
);

/** One-time sign-up tokens made by an admin: only the SHA-256 of the token is kept, as for sessions. */
export const invites = pgTable(
  'invites',
  {
    id: uuid('id').primaryKey(),
    tokenHash: bytea('token_hash').notNull().unique(),
    /** The quota of the account it makes, or null for the instance's default. */
    quotaBytes: bytes('quota_bytes'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
    usedBy: uuid('used_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: at('revoked_at'),
  },
  (t) => [index('invites_expires_idx').on(t.expiresAt)],
);

/**
 * The server's scheduled backups (server/backup/scheduled-backup.ts), one row per due time: the process that inserts
 * the row for a due time is the one that runs it, so several processes on one database run each backup once. The
 * row then records how it ended, for /metrics and the admin screen. Not in backups: it belongs to where it ran.
 */
export const backupRuns = pgTable(
  'backup_runs',
  {
    id: uuid('id').primaryKey(),
    dueAt: at('due_at').notNull().unique(),
    startedAt: at('started_at').notNull(),
    /** Refreshed while the run goes on: a running row whose heartbeat is old was left by a process that stopped. */
    heartbeatAt: at('heartbeat_at').notNull(),
    finishedAt: at('finished_at'),
    status: text('status', { enum: ['running', 'succeeded', 'failed'] }).notNull(),
    /** The snapshot's id in the backup place, once written. */
    snapshot: text('snapshot'),
    /** The dump's and all the snapshot's blobs' bytes (shared with other snapshots or not). */
    sizeBytes: bytes('size_bytes'),
    durationMs: integer('duration_ms'),
    /** The snapshots in the place after this run's pruning, newest first. */
    keptSnapshots: jsonb('kept_snapshots').$type<string[]>(),
    error: text('error'),
  },
  (t) => [index('backup_runs_finished_idx').on(t.status, t.finishedAt)],
);
