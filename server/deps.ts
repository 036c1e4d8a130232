import type { LockoutPolicy } from './auth/lockout.ts';
import type { AuthLimits } from './auth/rate-limits.ts';
import type { RelyingParty } from './auth/relying-party.ts';
import type { BlobStore } from './blobs/blob-store.ts';
import type { BackupConfig } from './config.ts';
import type { Database } from './db/database.ts';
import type { RegistrationMode } from '../shared/api/admin-schemas.ts';

/** What routes and domain modules need, built once by createApp so that tests can swap any of it. */
export interface ServerDeps {
  db: Database;
  blobs: BlobStore;
  now: () => Date;
  relyingParty: RelyingParty;
  /** Storage quota of a new account. */
  defaultQuotaBytes: number;
  /** The registration mode once an admin exists, until an admin sets one (REGISTRATION). */
  registrationDefault: RegistrationMode;
  /** Where users reach Coffer: invite links start with it. */
  publicOrigin: string;
  /** Attempts per client address at the auth routes, counted in the database. */
  authLimits: AuthLimits;
  /** When failed sign-ins and recoveries lock further tries out, counted in the database. */
  lockout: LockoutPolicy;
  /** Scheduled backups (BACKUP_DIR or BACKUP_BUCKET), which the admin screen reports on; undefined when off. */
  backup: BackupConfig | undefined;
  limits: {
    /** How long an upload may sit idle before it is collected. */
    uploadIdleMs: number;
  };
}
