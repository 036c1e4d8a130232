/**
 * One file on its way up: encrypted by Web Workers in segments, sent in any order, resumable. The page keeps only
 * progress here; the file key stays in memory and the server learns nothing but ciphertext.
 */
import {
  decodeBase64url,
  DEFAULT_CHUNK_SIZE,
  encodeBase64url,
  encryptChunk,
  encryptMetadata,
  openHeader,
  sealHeader,
  StreamKeys,
  uuidToBytes,
  type FileMetadata,
} from '$shared/crypto/index.ts';
import type { UploadRecord } from '$shared/api/responses.ts';
import type { CompleteUploadRequest, CreateUploadRequest, SmallFileRequest } from '$shared/api/schemas.ts';
import { api, ApiRequestError } from '../api.ts';
import type { KeyRing } from '../files/key-ring.ts';
import { canThumbnail, makeThumbnail, storeThumbnail } from '../files/thumbnails.ts';
import { describeError } from '../errors.ts';
import { chunkCountOf, missingSegments, segmentPlaintextBytes, streamSizeOf, type Segment } from './segment-plan.ts';
import { PROGRESS_INTERVAL_MS, RATE_WINDOW_MS, type UploadObserver, type UploadStatus } from './upload-ledger.ts';
import { Pacer } from './pacer.ts';
import { quotaMessage } from './quota-message.ts';
import { BATCHED_UP_TO, type SmallFileBatches } from './small-file-batches.ts';
import { RateWindow } from './rate-window.ts';
import type { WorkerPool } from './worker-pool.ts';
import { sendSegment } from './segment-sender.ts';
import type { FromWorker, StartMessage, ToWorker } from './worker-protocol.ts';

/** Where the file goes and under which key: a new file in a folder, or a new version of a file. */
export interface UploadTarget {
  ownerId: string;
  nodeId: string;
  parentId: string;
  fileKey: Uint8Array;
  revision: number;
  /**
   * Present for a new file: its key wrapped under the folder's key. Wrapped when the upload starts, so that a folder
   * of thousands of files starts uploading at once rather than after every key is wrapped.
   */
  wrappedKey?: () => Promise<string>;
  /** Signs the metadata as this account's (docs/FORMAT.md section 5.2): the key ring's sign. */
  sign: KeyRing['sign'];
  /** Re-signs the folder's list of contents once the file is in it: the key ring's folderChanged. */
  folderChanged: KeyRing['folderChanged'];
}

/** What the panel shows of a task's progress. */
export interface TaskProgress {
  sent: number;
  /** Over the last few seconds while the upload is under way, else 0. */
  bytesPerSecond: number;
  /** Null when not known. */
  secondsLeft: number | null;
}

export class UploadTask {
  readonly id = crypto.randomUUID();
  #status = $state<UploadStatus>('queued');
  /** Plaintext bytes the server holds: exact, and not reactive, since it changes at every stored segment. */
  #sent = 0;
  /** The progress as shown: paced to PROGRESS_INTERVAL_MS, and brought up to date at once when the status changes. */
  progress = $state.raw<TaskProgress>({ sent: 0, bytesPerSecond: 0, secondsLeft: null });
  error = $state('');
  /** Why requests are being retried, while they are. */
  retrying = $state('');
  readonly chunkSize = DEFAULT_CHUNK_SIZE;
  #uploadId: string | undefined;
  /**
   * The one worker that encrypts this file, whose segments the page sends: it outpaces nearly any uplink, and on two
   * cores a second one made an upload no faster while its buffers and garbage cost the page memory
   * (docs/BENCHMARKS.md, "The web app's upload"). Several small files still upload at once, each in its own worker
   * (start-queue.ts).
   */
  #worker: Worker | null = null;
  /** Aborts the requests of the worker's segments when the worker is stopped. */
  #sending: AbortController | null = null;
  #cancelled = false;
  /** The stream header of the revision being uploaded, which the metadata's signature names at completion. */
  #header: Uint8Array | undefined;
  /** Ends the running workers' promise at once (cancel), since terminated workers never answer. */
  #interrupt: ((reason: Error) => void) | null = null;
  #speeds = new RateWindow(RATE_WINDOW_MS);
  #progressPacer = new Pacer(PROGRESS_INTERVAL_MS, () => this.#showProgress());
  /** The queue's bookkeeping, told of every change to status and sent. */
  #observer: UploadObserver<UploadTask> | null = null;

  constructor(
    readonly file: File,
    readonly name: string,
    readonly target: UploadTarget,
    readonly onDone: (task: UploadTask) => void,
    /** The id of an upload the server holds already, to resume it. */
    uploadId?: string,
  ) {
    this.#uploadId = uploadId;
  }

  get status(): UploadStatus {
    return this.#status;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Reports status and progress to `observer` from now on; null stops the reports. */
  observe(observer: UploadObserver<UploadTask> | null): void {
    this.#observer = observer;
  }

  get uploadId(): string | undefined {
    return this.#uploadId;
  }

  get size(): number {
    return this.file.size;
  }

  /**
   * Encrypts and sends the file with workers taken from `workers`, from what the server holds already; a small file
   * not yet begun goes whole, in one of `batches`' requests.
   */
  async start(workers: WorkerPool, batches: SmallFileBatches): Promise<void> {
    this.error = '';
    this.#setStatus('uploading');
    if (!this.#uploadId && this.size <= BATCHED_UP_TO) return this.#sendInBatch(batches);
    try {
      const { keys, received } = this.#uploadId ? await this.#reopen() : await this.#create();
      // Cancelled while the upload was being created: delete it now that its id is known.
      if (this.#cancelled) return void (await this.#deleteOnServer());
      // Paused while the upload was being created: it exists on the server now, and resuming reopens it.
      if (this.status === 'pausing') return this.#setStatus('paused');
      const segments = missingSegments(keys.chunkCount, received);
      const held =
        this.size - segments.reduce((sum, s) => sum + segmentPlaintextBytes(s, this.size, this.chunkSize), 0);
      const delta = held - this.#sent;
      this.#sent = held;
      this.#observer?.recounted(this, delta);
      this.#speeds.restart(performance.now(), [this.sent]);
      this.#progressPacer.immediately();
      const finished = await this.#runWorker(workers, keys.stream, segments);
      if (!finished) {
        this.#setStatus('paused');
        return;
      }
      this.#setStatus('completing');
      await this.#complete();
      this.#setStatus('done');
      this.onDone(this);
    } catch (error) {
      this.#stopWorker();
      if (this.#cancelled) return;
      this.#setStatus('failed');
      this.error = await this.#describe(error);
    }
  }

  /**
   * The whole file in one request shared with other small files: encrypted here, as its one chunk is small, and
   * created, filled and completed by the server at once. Once its batch has left, cancelling no longer stops it.
   */
  async #sendInBatch(batches: SmallFileBatches): Promise<void> {
    const ticket = batches.join();
    try {
      const file = await this.#smallFile();
      if (this.#cancelled) return ticket.leave();
      if (this.status === 'pausing') {
        ticket.leave();
        return this.#setStatus('paused');
      }
      const answer = await ticket.send(file);
      if ('error' in answer) throw new ApiRequestError(answer.error.code, answer.error.message, answer.status);
      if (this.#cancelled) return;
      this.#progress(this.size);
      this.#setStatus('completing');
      await this.#vouch();
      if (canThumbnail(this.file)) await this.#thumbnail({ id: answer.revisionId, number: answer.revision });
      this.#setStatus('done');
      this.onDone(this);
    } catch (error) {
      ticket.leave();
      if (this.#cancelled) return;
      this.#setStatus('failed');
      this.error = await this.#describe(error);
    }
  }

  /** A quota refusal names the quota, with this file's size; other failures say what the server or browser said. */
  async #describe(error: unknown): Promise<string> {
    if (error instanceof ApiRequestError && error.code === 'QUOTA_EXCEEDED') return quotaMessage(this.size, error);
    return describeUploadError(error);
  }

  async #smallFile(): Promise<SmallFileRequest> {
    const { target } = this;
    const stream = await StreamKeys.derive(target.fileKey, {
      chunkSize: this.chunkSize,
      fileId: uuidToBytes(target.nodeId),
      revision: target.revision,
      nonce: crypto.getRandomValues(new Uint8Array(16)),
    });
    const [header, chunk, metadata, wrappedKey] = await Promise.all([
      sealHeader(stream),
      this.file.arrayBuffer().then((plaintext) => encryptChunk(stream, 0, true, new Uint8Array(plaintext))),
      this.#metadata(),
      target.wrappedKey?.(),
    ]);
    const authorSignature = await this.#sign(wrappedKey ? 'create' : 'revise', header, metadata);
    return {
      nodeId: target.nodeId,
      ...(wrappedKey
        ? { newFile: { parentId: target.parentId, wrappedKey, encryptedMetadata: metadata, authorSignature } }
        : { encryptedMetadata: metadata, authorSignature }),
      header: encodeBase64url(header),
      chunk: encodeBase64url(chunk),
    };
  }

  /** Marks a paused or failed upload to start again; false when it is neither. */
  requeue(): boolean {
    if (this.status !== 'paused' && this.status !== 'failed') return false;
    this.#setStatus('queued');
    return true;
  }

  /** Lets the requests in flight finish, then stops; `start` resumes from what the server holds. */
  pause(): void {
    if (this.status !== 'uploading') return;
    this.#setStatus('pausing');
    this.#worker?.postMessage({ type: 'stop' });
  }

  /** Stops at once and deletes what was sent. */
  async cancel(): Promise<void> {
    this.#cancelled = true;
    this.#setStatus('cancelled');
    this.#stopWorker();
    this.#interrupt?.(new Error('cancelled'));
    await this.#deleteOnServer();
  }

  /** Best effort: an upload left behind is collected anyway once it has been idle for UPLOAD_IDLE_SECONDS. */
  async #deleteOnServer(): Promise<void> {
    if (this.#uploadId) await api('DELETE', `/api/uploads/${this.#uploadId}`).catch(() => undefined);
  }

  async #create() {
    const { target } = this;
    const chunkCount = chunkCountOf(this.size, this.chunkSize);
    const stream = await StreamKeys.derive(target.fileKey, {
      chunkSize: this.chunkSize,
      fileId: uuidToBytes(target.nodeId),
      revision: target.revision,
      nonce: crypto.getRandomValues(new Uint8Array(16)),
    });
    const header = await sealHeader(stream);
    const metadata = await this.#metadata();
    const newFile = target.wrappedKey && {
      parentId: target.parentId,
      wrappedKey: await target.wrappedKey(),
      encryptedMetadata: metadata,
      authorSignature: await this.#sign('create', header, metadata),
    };
    this.#header = header;
    const created = await api<UploadRecord>('POST', '/api/uploads', {
      nodeId: target.nodeId,
      ...(newFile ? { newFile } : {}),
      header: encodeBase64url(header),
      size: streamSizeOf(this.size, this.chunkSize),
      chunkCount,
    } satisfies CreateUploadRequest);
    this.#uploadId = created.uploadId;
    return { keys: { stream, chunkCount }, received: created.received };
  }

  /** Picks up an upload the server holds: its header must authenticate under this file's key, for this revision. */
  async #reopen() {
    const upload = await api<UploadRecord>('GET', `/api/uploads/${this.#uploadId}`);
    const stream = await openHeader(this.target.fileKey, decodeBase64url(upload.header), {
      fileId: uuidToBytes(this.target.nodeId),
      revision: this.target.revision,
    });
    if (stream.params.chunkSize !== this.chunkSize || upload.chunkCount !== chunkCountOf(this.size, this.chunkSize)) {
      throw new Error('The unfinished upload was cut differently; cancel it and upload the file again.');
    }
    this.#header = decodeBase64url(upload.header);
    return { keys: { stream, chunkCount: upload.chunkCount }, received: upload.received };
  }

  /** Signs the metadata with the stream header it describes, for the file's place (docs/FORMAT.md section 5.2). */
  #sign(action: 'create' | 'revise', header: Uint8Array, metadata: string) {
    const { ownerId, nodeId, parentId, revision } = this.target;
    return this.target.sign({
      action,
      ownerId,
      nodeId,
      parentId,
      kind: 'file',
      revision: { number: revision, header },
      encryptedMetadata: decodeBase64url(metadata),
    });
  }

  async #metadata(): Promise<string> {
    const metadata: FileMetadata = {
      name: this.name,
      type: this.file.type,
      size: this.size,
      modified: this.file.lastModified,
      revision: this.target.revision,
    };
    const place = {
      ownerId: this.target.ownerId,
      nodeId: this.target.nodeId,
      parentId: this.target.parentId,
      kind: 'file' as const,
    };
    return encodeBase64url(await encryptMetadata(this.target.fileKey, place, metadata));
  }

  #setStatus(status: UploadStatus): void {
    const from = this.#status;
    if (status === from) return;
    this.#status = status;
    this.#observer?.statusChanged(this, from);
    this.#progressPacer.immediately();
  }

  /** Runs a pooled worker over the segments; true when all are stored, false when paused. */
  #runWorker(pool: WorkerPool, stream: StreamKeys, segments: Segment[]): Promise<boolean> {
    if (segments.length === 0) return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      this.#interrupt = reject;
      const worker = pool.take();
      this.#worker = worker;
      const sending = new AbortController();
      this.#sending = sending;
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.type === 'segment') this.#send(worker, message, sending.signal).catch(reject);
        else if (message.type === 'failed') reject(new ApiRequestError(message.code, message.message, message.status));
        else {
          this.#returnWorker(pool);
          resolve(message.type === 'done');
        }
      };
      worker.onerror = (event) => reject(new Error(event.message || 'the encryption worker failed to start'));
      const start: StartMessage = {
        type: 'start',
        file: this.file,
        uploadId: this.#uploadId!,
        fileKey: this.target.fileKey,
        fileId: stream.params.fileId,
        revision: stream.params.revision,
        nonce: stream.params.nonce,
        chunkSize: stream.params.chunkSize,
        chunkCount: chunkCountOf(this.size, this.chunkSize),
        segments,
      };
      worker.postMessage(start);
    });
  }

  /** Sends a segment the worker encrypted, then tells the worker, which may encrypt another. */
  async #send(worker: Worker, segment: Extract<FromWorker, { type: 'segment' }>, signal: AbortSignal): Promise<void> {
    await sendSegment(this.#uploadId!, segment.segment, segment.body, signal, (problem) => {
      this.retrying = problem;
    });
    this.#progress(segment.bytes);
    worker.postMessage({ type: 'sent' } satisfies ToWorker);
  }

  #progress(bytes: number): void {
    this.retrying = '';
    this.#sent += bytes;
    this.#observer?.stored(this, bytes);
    this.#speeds.add(performance.now(), [this.sent]);
    this.#progressPacer.soon();
  }

  #showProgress(): void {
    const bytesPerSecond = this.status === 'uploading' ? (this.#speeds.perSecond()[0] ?? 0) : 0;
    const secondsLeft = bytesPerSecond > 0 ? (this.size - this.sent) / bytesPerSecond : null;
    this.progress = { sent: this.sent, bytesPerSecond, secondsLeft };
  }

  async #complete(): Promise<void> {
    let body: CompleteUploadRequest = {};
    if (!this.target.wrappedKey) {
      const encryptedMetadata = await this.#metadata();
      body = { encryptedMetadata, authorSignature: await this.#sign('revise', this.#header!, encryptedMetadata) };
    }
    const completed = await api<UploadRecord>('POST', `/api/uploads/${this.#uploadId}/complete`, body);
    await this.#vouch();
    if (canThumbnail(this.file)) await this.#thumbnail({ id: completed.revisionId, number: completed.revision });
  }

  /**
   * The file is in its folder whatever happens here: a folder whose signed list of contents could not name it is
   * re-signed the next time this account opens it (folder-listing.ts, ownWritesUnnamed).
   */
  async #vouch(): Promise<void> {
    try {
      await this.target.folderChanged(this.target.parentId, [this.target.nodeId]);
    } catch (error) {
      console.warn(`The folder's signed list of contents does not name ${this.name} yet:`, error);
    }
  }

  /** Best effort: a file without a thumbnail is still uploaded, and shows its icon. */
  async #thumbnail(revision: { id: string; number: number }): Promise<void> {
    try {
      const image = await makeThumbnail(this.file);
      if (image) await storeThumbnail(this.target.fileKey, this.target.nodeId, revision, image);
    } catch (error) {
      console.warn(`No thumbnail for ${this.name}:`, error);
    }
  }

  /** The worker reported done or stopped, so it is not busy: the next task can use it. */
  #returnWorker(pool: WorkerPool): void {
    if (!this.#worker) return;
    this.#worker.onmessage = null;
    this.#worker.onerror = null;
    pool.give(this.#worker);
    this.#worker = null;
    this.#sending = null;
  }

  /** Terminates the worker, which may still be encrypting or sending: a failed or cancelled task cannot return it. */
  #stopWorker(): void {
    this.#sending?.abort();
    this.#sending = null;
    this.#worker?.terminate();
    this.#worker = null;
  }
}

function describeUploadError(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.code === 'UPLOAD_EXPIRED')
      return 'This upload sat unfinished too long and was discarded. Upload the file again.';
  }
  if (error instanceof TypeError) return 'The server could not be reached. Check the connection and resume.';
  return describeError(error);
}
