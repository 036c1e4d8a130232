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

/** Encrypt nothing more; report `stopped` once every segment given to the page is `sent`. */
export interface StopMessage {
  type: 'stop';
}

/** The page stored a segment: the worker may encrypt another. */
export interface SentMessage {
  type: 'sent';
}

export type ToWorker = StartMessage | StopMessage | SentMessage;

export type FromWorker =
  /**
   * A segment encrypted, for the page to send (segment-sender.ts); `bytes` is the plaintext it covers. The body is a
   * Blob, which the page passes on by reference: the page's thread never copies a segment's bytes.
   */
  | { type: 'segment'; segment: Segment; bytes: number; body: Blob }
  | { type: 'done' }
  | { type: 'stopped' }
  | { type: 'failed'; code: string; message: string; status: number };
