/**
 * A batch of small files, each sent whole in one request: created, filled with its one chunk and completed at once.
 * The limits bound the work of one request; a file that does not fit them goes through the three-step upload. Apart
 * from the schemas, so that the web app reads them without bundling zod.
 */
export const UPLOAD_BATCH = {
  maxFiles: 256,
  /** Largest request body of a batch: its files' chunks, base64url, with their headers and metadata. */
  maxBodyBytes: 8 * 1024 * 1024,
};
