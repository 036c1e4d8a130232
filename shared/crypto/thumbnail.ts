/**
 * A file revision's thumbnail (docs/FORMAT.md section 5.1): a small image the client makes from the plaintext, stored
 * as a Fernet token under a key derived from the file key and bound to the file id and the revision, so the server
 * can neither read it nor show one file's or one version's thumbnail for another.
 */
import { concatBytes, u32, u8, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { decryptToken, encryptToken, importFernetKey, type FernetKey } from './fernet.ts';
import { hkdf, importHkdfKey } from './hkdf.ts';
import { LABEL_THUMBNAIL } from './labels.ts';
import { uuidToBytes } from './uuid.ts';

/** Largest encrypted thumbnail the server keeps. */
export const MAX_THUMBNAIL_BYTES = 64 * 1024;

export async function encryptThumbnail(
  fileKey: Uint8Array,
  fileId: string,
  revision: number,
  image: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const token = await encryptToken(await thumbnailKey(fileKey, fileId, revision), image);
  if (token.length > MAX_THUMBNAIL_BYTES) {
    throw new CofferCryptoError(
      'BAD_ARGUMENT',
      `an encrypted thumbnail is at most ${MAX_THUMBNAIL_BYTES} bytes, this one would be ${token.length}`,
    );
  }
  return token;
}

/** Returns the image, or throws THUMBNAIL_INVALID when the token is not this revision's thumbnail. */
export async function decryptThumbnail(
  fileKey: Uint8Array,
  fileId: string,
  revision: number,
  token: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return await decryptToken(await thumbnailKey(fileKey, fileId, revision), token);
  } catch (error) {
    if (!(error instanceof CofferCryptoError)) throw error;
    throw new CofferCryptoError('THUMBNAIL_INVALID', 'thumbnail failed authentication or belongs to another file');
  }
}

async function thumbnailKey(fileKey: Uint8Array, fileId: string, revision: number): Promise<FernetKey> {
  const info = concatBytes(utf8(LABEL_THUMBNAIL), u8(0), uuidToBytes(fileId), u32(revision));
  return importFernetKey(await hkdf(await importHkdfKey(fileKey), new Uint8Array(0), info));
}
