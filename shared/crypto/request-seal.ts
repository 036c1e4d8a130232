/**
 * File-request links (docs/FORMAT.md section 4.5): `/r/<request link id>#<owner's key fingerprint>`. A visitor
 * without an account uploads into the owner's folder: the page checks the server's copy of the owner's public keys
 * against the fingerprint in the fragment, then seals each file's key to the owner's sharing key as a grant does
 * (ecdh-seal.ts), with purpose "request-file-key". The seal is not signed, because the visitor has no key anyone
 * knows: the owner sees such files as unauthenticated, from the request link, and accepts them or not.
 */
import { checkKeyFingerprint } from './fingerprint.ts';
import { openSeal, sealToPublicKey, type Seal, type SealOptions } from './ecdh-seal.ts';
import { LABEL_REQUEST_SEAL } from './labels.ts';
import { checkLinkId } from './link-secret.ts';
import { KEY_PURPOSES } from './purposes.ts';
import { bytesToUuid, uuidToBytes } from './uuid.ts';
import type { KeyBinding } from './wrap.ts';

/** Where an uploaded file goes: the ids its sealed key is bound to. */
export interface RequestUploadPlace {
  requestLinkId: string;
  ownerId: string;
  /** The new file's id. */
  nodeId: string;
}

export interface OwnerPublicKeys {
  /** SPKI bytes, as the server publishes them. */
  sharing: Uint8Array;
  signing: Uint8Array;
}

/**
 * Seals a file key to the owner, once the owner's public keys match the fingerprint from the link's fragment
 * (PUBLIC_KEY_MISMATCH otherwise, and nothing is sealed).
 */
export async function sealRequestFileKey(
  owner: OwnerPublicKeys,
  fingerprint: string,
  fileKey: Uint8Array,
  place: RequestUploadPlace,
  options?: SealOptions,
): Promise<Seal> {
  await checkKeyFingerprint([owner.sharing, owner.signing], fingerprint);
  return sealToPublicKey(LABEL_REQUEST_SEAL, owner.sharing, fileKey, requestBinding(place), options);
}

/** The file key, or WRAPPED_KEY_INVALID unless the seal was made to this owner's key for this request and file. */
export function openRequestFileKey(
  ownerSharingKey: { privateKey: CryptoKey; publicKey: Uint8Array },
  seal: Seal,
  place: RequestUploadPlace,
): Promise<Uint8Array> {
  return openSeal(
    LABEL_REQUEST_SEAL,
    ownerSharingKey.privateKey,
    ownerSharingKey.publicKey,
    seal,
    requestBinding(place),
  );
}

function requestBinding(place: RequestUploadPlace): KeyBinding {
  checkLinkId(place.requestLinkId);
  return {
    purpose: KEY_PURPOSES.requestFileKey,
    owner: bytesToUuid(uuidToBytes(place.ownerId)),
    object: [bytesToUuid(uuidToBytes(place.nodeId)), place.requestLinkId].join(':'),
  };
}
