/** Coffer's cryptography: pure functions over WebCrypto, the same in Node and in the browser. */
export { decodeBase64url, encodeBase64url } from './base64url.ts';
export { bytesToUuid, isCanonicalUuid, uuidToBytes } from './uuid.ts';
export { CofferCryptoError, type CryptoErrorCode } from './errors.ts';
export {
  decodeKeyText,
  decryptToken,
  decryptTokenText,
  encryptToken,
  encryptTokenInto,
  encryptTokenText,
  generateKey,
  importFernetKey,
  importFernetKeyText,
  MIN_TOKEN_BYTES,
  tokenLength,
  type DecryptTokenOptions,
  type EncryptTokenOptions,
  type FernetKey,
} from './fernet.ts';
export * from './labels.ts';
export {
  HEADER_BYTES,
  openHeader,
  readHeaderFields,
  sealHeader,
  type ExpectedStream,
  type HeaderFields,
} from './stream-header.ts';
export {
  FILE_ID_BYTES,
  FILE_KEY_BYTES,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  NONCE_BYTES,
  StreamKeys,
  type StreamParams,
} from './stream-keys.ts';
export { decryptChunk, encryptChunk, encryptChunkInto } from './stream-chunks.ts';
export { createEncryptStream, DEFAULT_CHUNK_SIZE, type EncryptStreamOptions } from './stream-encrypt.ts';
export { createDecryptStream, type DecryptStreamOptions } from './stream-decrypt.ts';
export { decryptByteStream, type ByteStreamDecryptOptions } from './byte-stream-decrypt.ts';
export { collect, decryptBytes, encryptBytes } from './stream.ts';
export { unwrapKey, wrapKey, WRAPPING_SECRET_BYTES, type KeyBinding } from './wrap.ts';
export * from './account.ts';
export { KEY_PURPOSES, SEALED_TEXT_PURPOSES } from './purposes.ts';
export { openText, sealText } from './sealed-text.ts';
export * from './passphrase-kdf.ts';
export * from './tree.ts';
export * from './thumbnail.ts';
export {
  checkKeyFingerprint,
  FINGERPRINT_WORDS,
  fingerprintText,
  fingerprintWords,
  keyFingerprint,
  WORDLIST,
} from './fingerprint.ts';
export { importSharingPublicKey, type Seal, type SealOptions } from './ecdh-seal.ts';
export * from './grant.ts';
export * from './node-author.ts';
export * from './folder-manifest.ts';
export * from './editor-roster.ts';
export * from './key-set.ts';
export { describeReceived } from './received.ts';
export * from './link-secret.ts';
export * from './request-seal.ts';
export * from './request-message.ts';
export { verifyPublishedKeys, type VerifiedPublicKeys, type WrappedPrivateKeys } from './own-public-keys.ts';
export * from './export-archive.ts';
export {
  openExportArchive,
  uniqueName,
  type ArchiveReader,
  type OpenedArchive,
  type TreeWriter,
} from './export-open.ts';
export { createVerifiedCiphertextStream, type VerifiedCiphertextOptions } from './verified-ciphertext.ts';
