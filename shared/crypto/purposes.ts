/**
 * The purposes a wrap's payload names (docs/FORMAT.md section 4), in one place. Unwrapping compares the purpose, so
 * a key wrapped for one use never opens as another, and a sealed text never opens as a key.
 */
export const KEY_PURPOSES = {
  masterKey: 'master-key',
  sharingPrivateKey: 'sharing-private-key',
  signingPrivateKey: 'signing-private-key',
  folderKey: 'folder-key',
  fileKey: 'file-key',
  shareKey: 'share-key',
  linkKey: 'link-key',
  requestFileKey: 'request-file-key',
} as const;

/** Short texts sealed in the wrap format: not keys, so not among KEY_PURPOSES (sealed-text.ts). */
export const SEALED_TEXT_PURPOSES = {
  passkeyLabel: 'passkey-label',
  /** The account's contacts and the public keys it pinned for them, as JSON (web/src/lib/contacts/). */
  contacts: 'contacts',
  linkLabel: 'link-label',
  /** The shares the account accepted on its devices, each bound to its grant, as JSON (web/src/lib/sharing/). */
  acceptedShares: 'accepted-shares',
} as const;
