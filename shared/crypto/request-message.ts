/**
 * The terms of a file-request link as its owner signed them (docs/FORMAT.md section 4.5): the link, the owner, the
 * folder and the message the uploader reads. The uploader's page verifies the signature with the signing key whose
 * fingerprint the link's fragment carries, so that a server cannot put words in the owner's mouth or move the link to
 * another owner or folder.
 */
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { concatBytes, own, u16, utf8 } from './bytes.ts';
import { CofferCryptoError } from './errors.ts';
import { LABEL_REQUEST_MESSAGE } from './labels.ts';
import { checkLinkId } from './link-secret.ts';
import { uuidToBytes } from './uuid.ts';

export interface RequestTerms {
  requestLinkId: string;
  ownerId: string;
  /** The folder the uploads go into. */
  folderId: string;
  message: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export async function signRequestTerms(signingPrivateKey: CryptoKey, terms: RequestTerms): Promise<string> {
  const signature = await globalThis.crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    signingPrivateKey,
    requestTermsBytes(terms),
  );
  return encodeBase64url(new Uint8Array(signature));
}

/** REQUEST_MESSAGE_INVALID unless the owner's signing key (SPKI) signed exactly these terms. */
export async function verifyRequestTerms(
  signingPublicKey: Uint8Array,
  signature: string,
  terms: RequestTerms,
): Promise<void> {
  let key: CryptoKey;
  try {
    key = await globalThis.crypto.subtle.importKey('spki', own(signingPublicKey), ECDSA_P256, false, ['verify']);
  } catch {
    throw new CofferCryptoError('BAD_KEY', `the owner's signing key is not a P-256 public key in SPKI form`);
  }
  const verify = async () =>
    globalThis.crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      decodeBase64url(signature),
      requestTermsBytes(terms),
    );
  // A signature that is not base64url, like one that does not verify, is the server's doing.
  if (!(await verify().catch(() => false))) {
    throw new CofferCryptoError(
      'REQUEST_MESSAGE_INVALID',
      `the owner's signature does not verify over this request link's message, folder and owner: the server altered them`,
    );
  }
}

/** The signed bytes: the label, then the link id, owner id and folder id as 16 bytes each and the message, each length-prefixed. */
export function requestTermsBytes(terms: RequestTerms): Uint8Array<ArrayBuffer> {
  checkLinkId(terms.requestLinkId);
  const fields = [
    uuidToBytes(terms.requestLinkId),
    uuidToBytes(terms.ownerId),
    uuidToBytes(terms.folderId),
    utf8(terms.message),
  ];
  return concatBytes(utf8(LABEL_REQUEST_MESSAGE), ...fields.flatMap((field) => [u16(field.length), field]));
}
