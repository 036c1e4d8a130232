/**
 * Small files go up many to a request (POST /api/uploads/batch): each is created, filled and completed there at once,
 * where the three-step upload costs three requests and a worker per file. A batch leaves when it is full or when
 * every file that joined it is ready, so a folder fills whole batches while a single file does not wait for company.
 */
import type { SmallFileAnswer, UploadBatchResponse } from '$shared/api/responses.ts';
import type { SmallFileRequest } from '$shared/api/schemas.ts';
import { UPLOAD_BATCH } from '$shared/api/upload-batch.ts';
import { api } from '../api.ts';

/** Files up to this size go in batches; larger ones gain little from sharing a request and go in three steps. */
export const BATCHED_UP_TO = 64 * 1024;
/** start-queue.ts starts two batches' worth of files at once, so that one is prepared while the other is sent. */
export const FILES_PER_BATCH = 128;
/** A batch leaves once its body would pass this, well under the server's limit. */
const BATCH_BODY_BYTES = UPLOAD_BATCH.maxBodyBytes / 2;

interface Waiting {
  file: SmallFileRequest;
  resolve: (answer: SmallFileAnswer) => void;
  reject: (error: unknown) => void;
}

/** A file's place in the next batch: it either sends its request or leaves. */
export interface BatchTicket {
  send(file: SmallFileRequest): Promise<SmallFileAnswer>;
  leave(): void;
}

export class SmallFileBatches {
  /** Files that joined and are still being encrypted. */
  #preparing = 0;
  #next: Waiting[] = [];
  #nextBytes = 0;

  join(): BatchTicket {
    this.#preparing++;
    let held = true;
    const release = () => {
      if (!held) return false;
      held = false;
      this.#preparing--;
      return true;
    };
    return {
      send: (file) =>
        new Promise((resolve, reject) => {
          if (!release()) throw new Error('this file already left its batch');
          this.#next.push({ file, resolve, reject });
          this.#nextBytes += JSON.stringify(file).length;
          this.#flushIfReady();
        }),
      leave: () => {
        if (release()) this.#flushIfReady();
      },
    };
  }

  #flushIfReady(): void {
    const full = this.#next.length >= FILES_PER_BATCH || this.#nextBytes >= BATCH_BODY_BYTES;
    if (this.#next.length === 0 || (!full && this.#preparing > 0)) return;
    const batch = this.#next;
    this.#next = [];
    this.#nextBytes = 0;
    api<UploadBatchResponse>('POST', '/api/uploads/batch', {
      files: batch.map((waiting) => waiting.file),
    }).then(
      ({ files }) => batch.forEach((waiting, i) => waiting.resolve(files[i]!)),
      (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
    );
  }
}
