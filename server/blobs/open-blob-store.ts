import type { BlobConfig } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { createFsBlobStore } from './fs-blob-store.ts';

/** Opens the configured store; a filesystem store first removes what puts cut short by a crash left behind. */
export async function openBlobStore(config: BlobConfig): Promise<BlobStore> {
  if (config.kind === 'fs') {
    const store = await createFsBlobStore(config.root);
    await store.collectTemporaryFiles();
    return store;
  }
  // Loaded only when used: the AWS SDK is large, and most installations keep blobs on disk.
  const { createS3BlobStore } = await import('./s3-blob-store.ts');
  return createS3BlobStore(config);
}
