import type { BlobStore } from '../blobs/blob-store.ts';
import type { Database } from '../db/database.ts';

/** What the feature routes need, injected by createApp so that tests can swap any of it. */
export interface RouteDeps {
  db: Database;
  blobs: BlobStore;
  now: () => Date;
  limits: {
    /** How long an upload may sit idle before it is collected. */
    uploadIdleMs: number;
  };
}
