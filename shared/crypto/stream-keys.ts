/**
 * The keys of one encrypted stream (docs/FORMAT.md section 3): the header MAC key and one Fernet key per chunk, all
 * derived from the file key with the stream's nonce as HKDF salt. Each chunk key binds the file id, the revision, the
 * chunk index and the final flag, so a chunk verifies only in its own place.
 */
import { concatBytes, u32, u64, u8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { importFernetKey, type FernetKey } from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { LABEL_STREAM_CHUNK, LABEL_STREAM_HEADER } from './labels.ts';

export const FILE_KEY_BYTES = 32;
export const FILE_ID_BYTES = 16;
export const NONCE_BYTES = 16;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const MAX_REVISION = 0xffffffff;

export interface StreamParams {
  chunkSize: number;
  fileId: Uint8Array;
  revision: number;
  nonce: Uint8Array;
}

const CHUNK_INFO_PREFIX = concatBytes(utf8(LABEL_STREAM_CHUNK), u8(0));
const HEADER_INFO = utf8(LABEL_STREAM_HEADER);

export class StreamKeys {
  private constructor(
    readonly params: Readonly<StreamParams>,
    private readonly fileKey: CryptoKey,
  ) {}

  static async derive(fileKey: Uint8Array, params: StreamParams): Promise<StreamKeys> {
    if (fileKey.length !== FILE_KEY_BYTES) {
      throw new CofferCryptoError('BAD_KEY', `a file key is ${FILE_KEY_BYTES} bytes, got ${fileKey.length}`);
    }
    checkStreamParams(params);
    return new StreamKeys({ ...params }, await importHkdfKey(fileKey));
  }

  async headerKey(): Promise<CryptoKey> {
    const raw = await hkdf(this.fileKey, this.params.nonce, HEADER_INFO);
    return globalThis.crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async chunkKey(index: number, final: boolean): Promise<FernetKey> {
    const { fileId, revision, nonce } = this.params;
    const info = concatBytes(CHUNK_INFO_PREFIX, fileId, u32(revision), u64(index), u8(final ? 1 : 0));
    return importFernetKey(await hkdf(this.fileKey, nonce, info));
  }
}

function checkStreamParams({ chunkSize, fileId, revision, nonce }: StreamParams): void {
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `chunk size must be a whole number from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE} bytes, got ${chunkSize}`,
    );
  }
  if (fileId.length !== FILE_ID_BYTES) {
    throw new CofferCryptoError('BAD_ARGUMENT', `a file id is ${FILE_ID_BYTES} bytes, got ${fileId.length}`);
  }
  if (!Number.isInteger(revision) || revision < 0 || revision > MAX_REVISION) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `a revision is a whole number from 0 to ${MAX_REVISION}, got ${revision}`,
    );
  }
  if (nonce.length !== NONCE_BYTES) {
    throw new CofferCryptoError('BAD_ARGUMENT', `a stream nonce is ${NONCE_BYTES} bytes, got ${nonce.length}`);
  }
}
