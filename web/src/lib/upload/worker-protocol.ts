/**
 * Messages between the page and an upload worker (upload-worker.ts). A worker runs one `start` at a time; once it has
 * reported `done` or `stopped` it may be given the next, for another file.
 */
import type { Segment } from './segment-plan.ts';

export interface StartMessage {
  type: 'start';
  file: Blob;
  uploadId: string;
  fileKey: Uint8Array;
  /** The stream's parameters, from its authenticated header. */
  fileId: Uint8Array;
  revision: number;
  nonce: Uint8Array;
  chunkSize: number;
  chunkCount: number;
  segments: Segment[];
}

/** Finish the requests in flight, send nothing more, then report `stopped`. */
export interface StopMessage {
  type: 'stop';
}

export type ToWorker = StartMessage | StopMessage;

export type FromWorker =
  /** A segment is stored; `bytes` is the plaintext it covers. */
  | { type: 'stored'; segment: Segment; bytes: number }
  /** A request failed and will be tried again after `delayMs`. */
  | { type: 'retrying'; message: string; delayMs: number }
  | { type: 'done' }
  | { type: 'stopped' }
  | { type: 'failed'; code: string; message: string; status: number };
