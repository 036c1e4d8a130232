import type { BlobConfig } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { createFsBlobStore } from './fs-blob-store.ts';
import { createS3BlobStore } from './s3-blob-store.ts';

/** Opens the configured store; a filesystem store first removes what puts cut short by a crash left behind. */
export async function openBlobStore(config: BlobConfig): Promise<BlobStore> {
  if (config.kind === 'fs') {
    const store = await createFsBlobStore(config.root);
    await store.collectTemporaryFiles();
    return store;
  }
  return createS3BlobStore(config);
}
