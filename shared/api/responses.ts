/**
 * What the API answers, declared once: the server's serializers are typed against these (so a change to what the
 * server sends that the types do not follow fails to compile), and the web app reads its responses as these. Dates
 * travel as ISO 8601 strings; binary fields as base64url.
 */
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import type {
  AuthorSignature,
  EditorRoster,
  FolderManifest,
  Grant,
  GrantRole,
  NodeKind,
  SignedKeySet,
} from '../crypto/index.ts';
import type { PassphraseWrap } from './auth-schemas.ts';

/** A stored version of a file. Its dates are the server's: nothing the client wrote authenticates them. */
export interface RevisionRecord {
  id: string;
  nodeId: string;
  number: number;
  /** The stream header, base64url. */
  header: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  createdAt: string;
  completedAt: string | null;
  /** Whether the client stored an encrypted thumbnail for this revision. */
  thumbnail: boolean;
  /** The account that uploaded it: the owner, or an editor of a share. Null once that account is deleted. */
  authorId: string | null;
}

/** A node as listed: everything in it wrapped or encrypted. Its dates are the server's. */
export interface NodeRecord {
  id: string;
  parentId: string | null;
  kind: NodeKind;
  wrappedKey: string;
  encryptedMetadata: string;
  currentRevision: RevisionRecord | null;
  createdAt: string;
  updatedAt: string;
  trashedAt: string | null;
  /**
   * The account that last wrote the node's metadata (made it, uploaded a revision, renamed, moved or restored it, or
   * rotated its key): the owner, or an editor of a share. Null once that account is deleted. The server's word, until
   * the reader checks authorSignature with that account's key.
   */
  authorId: string | null;
  /** The request link a stranger uploaded this file through, once its owner accepted it ("from request link"). */
  requestLinkId: string | null;
  /** That account's signature of what it wrote (docs/FORMAT.md section 5.2); null for metadata sent unsigned. */
  authorSignature: AuthorSignature | null;
}

export interface ChildrenResponse {
  children: NodeRecord[];
  /**
   * The folder's latest signed manifest (docs/FORMAT.md section 5.3); null for a folder no writer has signed one for
   * yet, and in a share link's listing, whose visitor has no keys to check it with.
   */
  manifest: FolderManifest | null;
  /**
   * For a member: the editor roster (docs/FORMAT.md section 5.4) of the folder its share was given on, null when its
   * owner has signed none yet; null for the owner, who knows its grants, and in a share link's listing.
   */
  editorRoster: EditorRoster | null;
}

/** A folder's manifest as stored. */
/** A shared folder's latest editor roster, or null when its owner has signed none yet. */
export interface EditorRosterResponse {
  folderId: string;
  roster: EditorRoster | null;
}

export interface FolderManifestResponse {
  folderId: string;
  manifest: FolderManifest;
}

/** A node and its ancestors, from the root down. */
export interface PathResponse {
  path: NodeRecord[];
}

/** Listed nodes with every ancestor a client needs to unwrap their keys, from the root down. */
export interface RecentResponse {
  nodes: NodeRecord[];
  ancestors: NodeRecord[];
}

export interface TrashResponse {
  trashed: NodeRecord[];
  ancestors: NodeRecord[];
}

export interface RevisionsResponse {
  revisions: RevisionRecord[];
}

/** How many nodes a purge deleted. */
export interface PurgedResponse {
  purged: number;
}

/** What a client needs to resume an upload: the stream's parameters and which chunks have arrived. */
export interface UploadRecord {
  uploadId: string;
  nodeId: string;
  revisionId: string;
  revision: number;
  header: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  newFile: {
    parentId: string;
    wrappedKey: string;
    encryptedMetadata: string;
    authorSignature: AuthorSignature | null;
  } | null;
  received: number[];
  expiresAt: string;
  completedAt: string | null;
}

export interface UploadsResponse {
  uploads: UploadRecord[];
}

export interface UsageResponse {
  usedBytes: number;
  quotaBytes: number;
}

/** Everything a client needs to unlock an account, all of it wrapped or public; sent once a ceremony succeeds. */
export interface AccountBundle {
  userId: string;
  /** An admin's app shows the administration; the server's access policy decides what it may do either way. */
  role: 'user' | 'admin';
  /** The account's public handle, or null before it chose one. */
  handle: string | null;
  prfWraps: { credentialId: string; salt: string; wrapped: string }[];
  passphraseWrap: PassphraseWrap | null;
  recoveryWrap: { salt: string; wrapped: string } | null;
  privateKeys: { sharing: string | null; signing: string | null };
  /** Public keys by purpose, base64url. */
  publicKeys: Record<string, string>;
  /** The account's signed key set (docs/FORMAT.md section 4.8), or null for an account made before key sets. */
  keySet: SignedKeySet | null;
}

export interface HandleResponse {
  handle: string;
}

/**
 * What anyone signed in learns from a handle: the account's id and its published keys (base64url SPKI), to check
 * against a contact card's fingerprint or to show as fingerprint words. Nothing else about the person.
 */
export interface HandleLookupResponse {
  userId: string;
  handle: string;
  publicKeys: { sharing: string | null; signing: string | null };
}

/**
 * A document the account keeps sealed for itself (its contacts), as stored: `version` 0 and `sealed` null before the
 * first write. Only the account's devices can open it.
 */
export interface AccountDocumentResponse {
  kind: string;
  version: number;
  sealed: string | null;
  updatedAt: string | null;
}

export type ShareStatus = 'pending' | 'accepted' | 'declined';

/** A share as its owner sees it: who has (or is offered) access to a node, and as what. */
export interface ShareRecord {
  id: string;
  /** The shared node: the one asked about, or a folder above it whose share reaches it. */
  nodeId: string;
  kind: NodeKind;
  role: GrantRole;
  status: ShareStatus;
  recipientId: string;
  recipientHandle: string | null;
  /**
   * The grant as the owner made and signed it: the owner's device trusts an editor (their writes, the folder
   * manifests they sign) only once it verifies its own signature on it, never on the server's word.
   */
  grant: Grant;
  createdAt: string;
  acceptedAt: string | null;
}

/** Who has access to a node: the shares of the node and of every folder above it, nearest first. */
export interface NodeSharesResponse {
  shares: ShareRecord[];
}

/**
 * Everything the caller has shared, newest first, with the shared nodes and the folders above them from the root
 * down, so that the client opens their names as it opens the recent files.
 */
export interface OutgoingSharesResponse {
  shares: ShareRecord[];
  nodes: NodeRecord[];
  ancestors: NodeRecord[];
}

/**
 * A share as its recipient sees it, with the grant as the sender made it: the client verifies the signature against
 * the sender's pinned key (or the published one, shown as unverified) and that the grant's terms are these, before
 * trusting any of it.
 */
export interface IncomingShare {
  id: string;
  nodeId: string;
  ownerId: string;
  kind: NodeKind;
  role: GrantRole;
  status: Exclude<ShareStatus, 'declined'>;
  senderId: string;
  senderHandle: string | null;
  grant: Grant;
  createdAt: string;
  acceptedAt: string | null;
}

/**
 * What a key rotation of a folder must cover, as the server holds it now: the folder and every folder below it, from
 * the top down (a parent before its children), every file below it, trashed ones included, and the shares of those
 * folders, whose grants the rotation replaces.
 */
export interface RekeyPlanResponse {
  folders: NodeRecord[];
  files: NodeRecord[];
  /** New files still uploading into these folders (by the owner or an editor), with their keys as wrapped then. */
  uploads: PendingNewFile[];
  shares: ShareRecord[];
}

/** An open upload of a new file: the upload, the file to be, its folder and its key wrapped under the folder's key. */
export interface PendingNewFile {
  id: string;
  nodeId: string;
  parentId: string;
  wrappedKey: string;
}

/** A rotation applied: how many folders, files, open uploads and grants it changed. */
export interface RekeyResponse {
  folders: number;
  files: number;
  uploads: number;
  grants: number;
}

export interface IncomingSharesResponse {
  shares: IncomingShare[];
}

export type LinkStatus = 'active' | 'expired' | 'exhausted' | 'revoked';

/** A share link as its owner sees it: never its secret or token, which the server does not have. */
export interface LinkRecord {
  id: string;
  nodeId: string;
  kind: NodeKind;
  /** Sealed by the owner's client under the master key (purpose "link-label"), or null for none. */
  encryptedLabel: string | null;
  hasPassword: boolean;
  allowDownload: boolean;
  downloadLimit: number | null;
  downloadCount: number;
  useCount: number;
  status: LinkStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface LinksResponse {
  links: LinkRecord[];
}

/**
 * What the link page learns before it presents a token: whether to ask for a password, and the Argon2id cost to
 * derive the keys with it (docs/FORMAT.md section 4.4). The only thing anyone with a link's id, and no fragment, learns.
 */
export interface LinkAccessResponse {
  passwordCost: { memoryKiB: number; passes: number; parallelism: number } | null;
}

/**
 * What the link page gets for the right access token: the wrap to open with the keys from the fragment, the node it
 * must be bound to (its metadata names its parent, so it is sent whole), and what the owner allowed.
 */
export interface OpenLinkResponse {
  linkId: string;
  ownerId: string;
  kind: NodeKind;
  wrappedKey: string;
  node: NodeRecord;
  /** The password's Argon2id cost, for a link with a password; the page checks it against its bounds. */
  passwordCost: { memoryKiB: number; passes: number; parallelism: number } | null;
  allowDownload: boolean;
  expiresAt: string | null;
  /** Downloads left before the link is used up, or null without a limit. */
  downloadsLeft: number | null;
}

/** A file-request link as its owner sees it (docs/FORMAT.md section 4.5). */
export interface RequestLinkRecord {
  id: string;
  /** The folder uploads go into. */
  nodeId: string;
  /** Sealed by the owner's client under the master key (purpose "link-label"), or null for none. */
  encryptedLabel: string | null;
  message: string;
  maxFiles: number;
  maxBytes: number;
  /** Uploads begun through the link, and their bytes, accepted or not: what counts against its limits. */
  fileCount: number;
  byteCount: number;
  status: LinkStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface RequestLinksResponse {
  requestLinks: RequestLinkRecord[];
}

/**
 * What the uploader's page gets for a request link: the owner's public keys, which it checks against the fingerprint in
 * the fragment before anything else, the owner's signed terms, and what is left of the link's limits.
 */
export interface OpenRequestLinkResponse {
  requestLinkId: string;
  ownerId: string;
  folderId: string;
  /** SPKI, base64url, as the owner published them. */
  ownerPublicKeys: { sharing: string; signing: string };
  message: string;
  messageSignature: string;
  expiresAt: string | null;
  filesLeft: number;
  bytesLeft: number;
}

/** An upload through a request link, begun: where its chunks go (PUT .../chunks/:index, as for an account's upload). */
export interface RequestUploadRecord {
  id: string;
  nodeId: string;
  chunkCount: number;
  completed: boolean;
}

/** A file a stranger uploaded, waiting for the owner: its key sealed to the owner, its metadata under that key. */
export interface PendingUploadRecord {
  id: string;
  requestLinkId: string;
  nodeId: string;
  /** The folder it goes into once accepted. */
  parentId: string;
  seal: { ephemeralPublicKey: string; wrapped: string };
  encryptedMetadata: string;
  revision: RevisionRecord;
  completedAt: string;
}

export interface PendingUploadsResponse {
  uploads: PendingUploadRecord[];
}

/** A sign-in's bundle also names the passkey that signed in. */
export interface SignInResponse extends AccountBundle {
  credentialId: string;
}

export interface SignUpOptionsResponse {
  userId: string;
  options: PublicKeyCredentialCreationOptionsJSON;
}

export interface RegistrationOptionsResponse {
  options: PublicKeyCredentialCreationOptionsJSON;
}

export interface AuthenticationOptionsResponse {
  options: PublicKeyCredentialRequestOptionsJSON;
}

export interface StepUpResponse {
  validUntil: string;
}

/** One audit event: no file names, no secrets; `details` depends on the type (server/auth/audit.ts). */
export interface AuditEventRecord {
  /** Increasing; a listing's next page is `before` its last event's id. */
  id: number;
  type: string;
  at: string;
  userId: string | null;
  clientAddress: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface SecurityEventsResponse {
  events: AuditEventRecord[];
}

export interface AuditExportResponse {
  exportedAt: string;
  filter: {
    userId: string | null;
    types: string[] | null;
    from: string | null;
    to: string | null;
    before: number | null;
  };
  /** False when more events matched than one export holds: continue with `before` the last event's id. */
  complete: boolean;
  events: AuditEventRecord[];
}

export interface PasskeyRecord {
  id: string;
  encryptedLabel: string | null;
  /** Whether it carries a PRF wrap, so that it unlocks the account as well as signing in. */
  unlocks: boolean;
  /** Whether it started this session: removing it signs this browser out too. */
  startedThisSession: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface PasskeysResponse {
  passkeys: PasskeyRecord[];
}

export interface AddedPasskeyResponse {
  id: string;
}

export interface RemovedPasskeyResponse {
  endedSessions: number;
  signedOut: boolean;
}

export interface SessionRecord {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
}

export interface SessionsResponse {
  sessions: SessionRecord[];
}

/** One file's answer in a batch of small files, in the order of the request: 201 with the new revision, or its error. */
export type SmallFileAnswer =
  | { nodeId: string; status: 201; revisionId: string; revision: number }
  | { nodeId: string; status: number; error: { code: string; message: string } };

export interface UploadBatchResponse {
  files: SmallFileAnswer[];
}

/** An invite as admins see it: never its token, which only the answer that made it holds. */
export interface InviteRecord {
  id: string;
  /** The quota of the account it makes, or null for the instance's default. */
  quotaBytes: number | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
}

export interface InvitesResponse {
  invites: InviteRecord[];
}

export interface NewInviteResponse {
  invite: InviteRecord;
  /** The one-time sign-up token, shown once. */
  token: string;
  /** PUBLIC_ORIGIN/signup#invite=<token>: in the fragment, which browsers never send. */
  link: string;
}

export interface RegistrationModeResponse {
  mode: 'open' | 'invite-only' | 'closed';
}

/** What a visitor learns before making a passkey: whether they may sign up, and whether only with an invite link. */
export interface PublicRegistrationResponse extends RegistrationModeResponse {
  inviteRequired: boolean;
}

/** An account as admins see it: sizes, counts and times, never names, content or keys. */
export interface AdminUserRecord {
  id: string;
  /** Its public handle, or null before it chose one. */
  handle: string | null;
  role: 'user' | 'admin';
  status: 'active' | 'disabled';
  usedBytes: number;
  quotaBytes: number;
  passkeys: number;
  createdAt: string;
  /** The last time one of its sessions was used, or null if it never signed in. */
  lastActiveAt: string | null;
}

export interface AdminUsersResponse {
  users: AdminUserRecord[];
}

/** One scheduled backup by the server: claimed for its due time, then succeeded or failed. */
export interface BackupRunRecord {
  dueAt: string;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'succeeded' | 'failed';
  /** The snapshot's id in the destination, once written. */
  snapshot: string | null;
  sizeBytes: number | null;
  durationMs: number | null;
  error: string | null;
}

/** The server's scheduled backups, for the admin screen (GET /api/admin/backups). */
export interface AdminBackupsResponse {
  /** How they are configured (BACKUP_DIR or BACKUP_BUCKET, BACKUP_SCHEDULE, BACKUP_KEEP); null when they are off. */
  schedule: { destination: string; schedule: string; keep: number; nextAt: string } | null;
  lastRun: BackupRunRecord | null;
  lastSuccess: BackupRunRecord | null;
  lastFailure: BackupRunRecord | null;
  /** The snapshots in the destination after the last successful backup's pruning, newest first. */
  keptSnapshots: string[];
}

/** The instance's counts and storage. */
export interface InstanceResponse {
  users: number;
  disabledUsers: number;
  files: number;
  folders: number;
  usedBytes: number;
  defaultQuotaBytes: number;
  registrationMode: RegistrationModeResponse['mode'];
}

export interface EndedSessionsResponse {
  endedSessions: number;
}
