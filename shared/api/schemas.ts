/**
 * What the API accepts, as zod schemas shared by the server (which validates with them) and the web app (which
 * builds requests with their types). Limits are named so that errors can say which one was hit.
 */
import { z } from 'zod';
import { decodeBase64url } from '../crypto/base64url.ts';
import { MIN_TOKEN_BYTES } from '../crypto/fernet.ts';
import { HEADER_BYTES } from '../crypto/stream-header.ts';
import { GRANT_VERSION } from '../crypto/labels.ts';
import { AUTHOR_SIGNATURE_BYTES, type AuthorAction } from '../crypto/node-author.ts';
import { MAX_MANIFEST_VERSION } from '../crypto/folder-manifest.ts';
import { MAX_ROSTER_VERSION } from '../crypto/editor-roster.ts';
import { ARGON2ID_BOUNDS } from '../crypto/passphrase-kdf.ts';
import { UPLOAD_BATCH } from './upload-batch.ts';

export { UPLOAD_BATCH };

export const LIMITS = {
  /** Largest JSON request body. */
  jsonBodyBytes: 256 * 1024,
  /** Largest encrypted metadata of a node (names, dates, thumbnails are not here). */
  metadataBytes: 16 * 1024,
  /** Largest wrapped key, as text. */
  wrappedKeyChars: 8192,
  /** Largest file: 64 GiB of ciphertext. */
  fileBytes: 64 * 1024 ** 3,
};

/**
 * A key rotation (POST /api/nodes/:nodeId/rekey) carries a wrap for every node of a subtree, so it has limits of its
 * own: the nodes it may cover, the grants it may replace, and its body's size.
 */
export const REKEY_LIMITS = {
  maxNodes: 20_000,
  maxGrants: 1_000,
  maxBodyBytes: 16 * 1024 * 1024,
};

const decodes = (text: string) => {
  try {
    decodeBase64url(text);
    return true;
  } catch {
    return false;
  }
};
const base64url = z.string().refine(decodes, 'must be base64url');

/** A Fernet token in text form (a wrapped key). */
export const wrappedKeySchema = base64url.min(100).max(LIMITS.wrappedKeyChars);
export const encryptedMetadataSchema = base64url.min(1).max(Math.ceil((LIMITS.metadataBytes * 4) / 3) + 2);
export const idSchema = z.uuid({ error: 'must be a UUID' });

/**
 * An author signature (docs/FORMAT.md section 5.2), for the action of the request that carries it. The server can
 * check only its form; readers check it against the author's key. Optional, for clients from before signatures:
 * metadata sent without one is listed unsigned, which readers accept only as the owner's.
 */
const authorSignatureFor = (...actions: [AuthorAction, ...AuthorAction[]]) =>
  z
    .strictObject({
      action: z.enum(actions, {
        error: `must be ${actions.map((action) => `"${action}"`).join(' or ')}, the action of this request`,
      }),
      signature: base64url.refine(
        // The refinement above does not stop this one: text that is not base64url fails here too, without throwing.
        (text) => decodes(text) && decodeBase64url(text).length === AUTHOR_SIGNATURE_BYTES,
        `must be ${AUTHOR_SIGNATURE_BYTES} bytes (r || s), base64url`,
      ),
    })
    .optional();

export const createFolderSchema = z.strictObject({
  id: idSchema,
  /** null only for the user's root folder. */
  parentId: idSchema.nullable(),
  wrappedKey: wrappedKeySchema,
  encryptedMetadata: encryptedMetadataSchema,
  authorSignature: authorSignatureFor('create'),
});

export const createUploadSchema = z.strictObject({
  /** The file's id: new for a new file, the existing file's id for a new revision. */
  nodeId: idSchema,
  /** Present for a new file: where it goes, its key wrapped under that folder's key, and its metadata. */
  newFile: z
    .strictObject({
      parentId: idSchema,
      wrappedKey: wrappedKeySchema,
      encryptedMetadata: encryptedMetadataSchema,
      authorSignature: authorSignatureFor('create'),
    })
    .optional(),
  /** The stream header (docs/FORMAT.md section 3.1), base64url with padding; it names the file id, revision and chunk size. */
  header: base64url.length(Math.ceil(HEADER_BYTES / 3) * 4),
  /** Total bytes of the encrypted stream, header included: at least the header and one token (an empty file's). */
  size: z
    .number()
    .int()
    .min(HEADER_BYTES + MIN_TOKEN_BYTES)
    .max(LIMITS.fileBytes),
  chunkCount: z.number().int().min(1),
});

export const smallFileSchema = z.strictObject({
  /** The file's id: new for a new file, the existing file's id for a new revision. */
  nodeId: idSchema,
  /** Present for a new file, as in createUploadSchema. */
  newFile: createUploadSchema.shape.newFile,
  /** For a new revision of an existing file: its new metadata, as completeUploadSchema takes it. */
  encryptedMetadata: encryptedMetadataSchema.optional(),
  authorSignature: authorSignatureFor('revise'),
  /** The stream header, as in createUploadSchema; the stream has one chunk. */
  header: createUploadSchema.shape.header,
  /** The stream's one chunk: a Fernet token (base64url). */
  chunk: base64url.min(1),
});

export const uploadBatchSchema = z.strictObject({
  files: z
    .array(smallFileSchema)
    .min(1, 'a batch holds at least one file')
    .max(UPLOAD_BATCH.maxFiles, `a batch holds at most ${UPLOAD_BATCH.maxFiles} files`),
});

export const completeUploadSchema = z.strictObject({
  /** New metadata for the file (its size and dates change with a new revision). */
  encryptedMetadata: encryptedMetadataSchema.optional(),
  /** Signs the metadata sent here: a new file's ("create"), or a new revision's ("revise"). */
  authorSignature: authorSignatureFor('create', 'revise'),
});

/** Renaming, or any other change to a node's metadata. */
export const renameNodeSchema = z.strictObject({
  encryptedMetadata: encryptedMetadataSchema,
  authorSignature: authorSignatureFor('rename'),
});

/**
 * A move: the node's key wrapped under the new parent's key, and its metadata encrypted again bound to the new
 * parent, all three changed together.
 */
export const moveNodeSchema = z.strictObject({
  parentId: idSchema,
  wrappedKey: wrappedKeySchema,
  encryptedMetadata: encryptedMetadataSchema,
  authorSignature: authorSignatureFor('move'),
});

/** Makes an older completed revision of a file current again, with metadata that describes it. */
export const setCurrentRevisionSchema = z.strictObject({
  revisionId: idSchema,
  encryptedMetadata: encryptedMetadataSchema,
  authorSignature: authorSignatureFor('restore'),
});

/**
 * A folder's new manifest (docs/FORMAT.md section 5.3), signed by the account that sends it: the next version after
 * the stored one, and every live child with the digest of its state. The server checks its form and its version;
 * readers check its signature and its children.
 */
export const putFolderManifestSchema = z.strictObject({
  version: z.number().int().min(1).max(MAX_MANIFEST_VERSION),
  children: z
    .array(
      z.strictObject({
        id: idSchema,
        digest: base64url.refine((text) => decodes(text) && decodeBase64url(text).length === 32, 'must be 32 bytes'),
      }),
    )
    .refine((children) => new Set(children.map(({ id }) => id.toLowerCase())).size === children.length, {
      error: 'must name each child once',
    }),
  signature: base64url.refine(
    (text) => decodes(text) && decodeBase64url(text).length === AUTHOR_SIGNATURE_BYTES,
    `must be ${AUTHOR_SIGNATURE_BYTES} bytes (r || s), base64url`,
  ),
});
export type PutFolderManifestRequest = z.infer<typeof putFolderManifestSchema>;

/**
 * A shared folder's next editor roster (docs/FORMAT.md section 5.4), signed by its owner: the version after the stored
 * one, and each editor with its signing public key. The server checks its form and its version; members check its
 * signature.
 */
export const putEditorRosterSchema = z.strictObject({
  version: z.number().int().min(1).max(MAX_ROSTER_VERSION),
  editors: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
          error: 'must be a UUID in lower case, as the roster signs it',
        }),
        signingKey: base64url.refine(
          (text) => decodes(text) && decodeBase64url(text).length >= 1 && decodeBase64url(text).length <= 512,
          'must be 1 to 512 bytes (an SPKI public key), base64url',
        ),
      }),
    )
    .max(1000)
    .refine((editors) => new Set(editors.map(({ id }) => id)).size === editors.length, {
      error: 'must name each editor once',
    }),
  signature: base64url.refine(
    (text) => decodes(text) && decodeBase64url(text).length === AUTHOR_SIGNATURE_BYTES,
    `must be ${AUTHOR_SIGNATURE_BYTES} bytes (r || s), base64url`,
  ),
});
export type PutEditorRosterRequest = z.infer<typeof putEditorRosterSchema>;

/** A handle: what others type to find an account. Compared without regard to case; kept as its owner typed it. */
export const HANDLE_RULE =
  'a handle is 3 to 32 characters: letters a-z, digits, "-" and "_", starting with a letter or a digit';
export const handleSchema = z.string({ error: HANDLE_RULE }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$/, {
  error: (issue) => `${HANDLE_RULE}; got ${JSON.stringify(issue.input)}`,
});

export const setHandleSchema = z.strictObject({ handle: handleSchema });

/**
 * The signed-in account deleting itself: `confirm` is what its owner typed, its handle (its id when it has none). Any
 * text is taken here, so that a mismatch is answered with what was typed and what was expected.
 */
export const deleteOwnAccountSchema = z.strictObject({
  confirm: z.string({ error: 'confirm: your handle, typed' }).min(1, { error: 'confirm: your handle, typed' }).max(200),
});

const lowerCaseId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
  error: 'must be a UUID in lower case, as a grant writes it',
});
const GRANT_SIGNATURE_BYTES = 64;

/**
 * A grant as shared/crypto/grant.ts makes it (docs/FORMAT.md section 4.3). The server checks its form and that its
 * terms are the share's; only the recipient can check the signature, against the key it pinned.
 */
export const grantSchema = z.strictObject({
  version: z.literal(GRANT_VERSION, { error: `must be ${GRANT_VERSION}, the grant format's version` }),
  senderId: lowerCaseId,
  recipientId: lowerCaseId,
  ownerId: lowerCaseId,
  nodeId: lowerCaseId,
  kind: z.enum(['folder', 'file'], { error: 'must be "folder" or "file"' }),
  role: z.enum(['viewer', 'editor'], { error: 'must be "viewer" or "editor"' }),
  ephemeralPublicKey: base64url.min(1).max(256),
  wrapped: base64url.min(100).max(LIMITS.wrappedKeyChars),
  signature: base64url.refine(
    (text) => decodeBase64url(text).length === GRANT_SIGNATURE_BYTES,
    `must be ${GRANT_SIGNATURE_BYTES} bytes (r || s), base64url`,
  ),
});

export const createShareSchema = z.strictObject({ grant: grantSchema });

/** A Fernet token's form (docs/FORMAT.md section 2): version byte 0x80, and a length a token can have. */
const isFernetToken = (text: string) => {
  const bytes = decodeBase64url(text);
  return bytes[0] === 0x80 && bytes.length >= MIN_TOKEN_BYTES && (bytes.length - MIN_TOKEN_BYTES) % 16 === 0;
};
const tokenWrap = wrappedKeySchema.refine(isFernetToken, 'must be a Fernet token (a wrapped key), base64url');
const tokenMetadata = encryptedMetadataSchema.refine(isFernetToken, 'must be a Fernet token, base64url');

/**
 * A key rotation of a folder and everything below it (docs/FORMAT.md section 4.6), all applied at once or not at all:
 * each folder's new key wrapped under its parent's (new) key with its metadata encrypted again under the new key;
 * each file's unchanged key wrapped under its folder's new key; and, for every share of a folder in the subtree, a
 * new grant of that folder's new key to the same recipient with the same role. A new file still uploading into one of
 * the folders has its key wrapped again too, so that it lands under the new key. The server checks that the lists are
 * exactly what it holds now, trashed nodes included.
 */
export const rekeySchema = z.strictObject({
  folders: z
    .array(
      z.strictObject({
        id: lowerCaseId,
        wrappedKey: tokenWrap,
        encryptedMetadata: tokenMetadata,
        authorSignature: authorSignatureFor('rekey'),
      }),
    )
    .min(1, 'lists at least the folder itself')
    .max(REKEY_LIMITS.maxNodes, `a rotation covers at most ${REKEY_LIMITS.maxNodes} nodes`),
  files: z
    .array(z.strictObject({ id: lowerCaseId, wrappedKey: tokenWrap }))
    .max(REKEY_LIMITS.maxNodes, `a rotation covers at most ${REKEY_LIMITS.maxNodes} nodes`),
  /** The open uploads of new files into these folders: each file's key, wrapped under its folder's new key. */
  uploads: z
    .array(z.strictObject({ id: lowerCaseId, wrappedKey: tokenWrap }))
    .max(REKEY_LIMITS.maxNodes, `a rotation covers at most ${REKEY_LIMITS.maxNodes} nodes`),
  grants: z
    .array(grantSchema)
    .max(REKEY_LIMITS.maxGrants, `a rotation replaces at most ${REKEY_LIMITS.maxGrants} grants`),
});

/** The documents an account keeps sealed on the server for itself (server/accounts/documents.ts), by kind. */
export const ACCOUNT_DOCUMENT_KINDS = ['contacts', 'accepted-shares'] as const;
export type AccountDocumentKind = (typeof ACCOUNT_DOCUMENT_KINDS)[number];
/** Largest sealed account document, as text: room for hundreds of contacts, inside a JSON body. */
export const MAX_ACCOUNT_DOCUMENT_CHARS = 192 * 1024;

/** A new sealed document, written over `version`: the one the device read (0 when there was none). */
export const putAccountDocumentSchema = z.strictObject({
  version: z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(0),
  sealed: base64url.min(1).max(MAX_ACCOUNT_DOCUMENT_CHARS, {
    error: (issue) =>
      `a sealed account document is at most ${MAX_ACCOUNT_DOCUMENT_CHARS} characters; got ${String((issue.input as string).length)}`,
  }),
});

const whole = (name: string, { min, max }: { min: number; max: number }) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

/** A link password's Argon2id cost, within what the link page accepts (docs/FORMAT.md sections 4.1 and 4.4). */
export const linkPasswordCostSchema = z
  .strictObject({
    memoryKiB: whole('memoryKiB', ARGON2ID_BOUNDS.memoryKiB),
    passes: whole('passes', ARGON2ID_BOUNDS.passes),
    parallelism: whole('parallelism', ARGON2ID_BOUNDS.parallelism),
  })
  .refine(
    (cost) =>
      cost.memoryKiB * cost.passes >= ARGON2ID_BOUNDS.work.min &&
      cost.memoryKiB * cost.passes <= ARGON2ID_BOUNDS.work.max,
    `memoryKiB × passes must be from ${ARGON2ID_BOUNDS.work.min} to ${ARGON2ID_BOUNDS.work.max}`,
  );

export const LINK_LIMITS = {
  /** Largest download limit a link may have. */
  maxDownloads: 1_000_000,
  /** Largest sealed label, as text. */
  labelChars: 1024,
};

/** What an owner may change on a link once it exists; every field optional, null clearing a limit or the label. */
export const editLinkSchema = z.strictObject({
  /** The label sealed by the owner's client (sealText, purpose "link-label"): the server never reads it. */
  encryptedLabel: base64url.min(1).max(LINK_LIMITS.labelChars).nullable().optional(),
  allowDownload: z.boolean().optional(),
  downloadLimit: whole('downloadLimit', { min: 1, max: LINK_LIMITS.maxDownloads }).nullable().optional(),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 time like 2026-06-01T12:00:00Z' })
    .nullable()
    .optional(),
});

/**
 * A new share link, made by the owner's client (docs/FORMAT.md section 4.4): the wrap of the node key and the SHA-256
 * of the access token. Never the secret, the password or the token itself.
 */
export const createLinkSchema = editLinkSchema.extend({
  id: idSchema,
  nodeId: idSchema,
  wrappedKey: wrappedKeySchema,
  accessTokenHash: base64url.refine(
    (text) => decodeBase64url(text).length === 32,
    'must be the 32 bytes of SHA-256(access token), base64url',
  ),
  /** The password's Argon2id cost, or null for a link without a password. */
  passwordCost: linkPasswordCostSchema.nullable(),
});

export type CreateFolderRequest = z.infer<typeof createFolderSchema>;
export type CreateUploadRequest = z.infer<typeof createUploadSchema>;
export type SmallFileRequest = z.infer<typeof smallFileSchema>;
export type UploadBatchRequest = z.infer<typeof uploadBatchSchema>;
export type CompleteUploadRequest = z.infer<typeof completeUploadSchema>;
export type RenameNodeRequest = z.infer<typeof renameNodeSchema>;
export type MoveNodeRequest = z.infer<typeof moveNodeSchema>;
export type SetCurrentRevisionRequest = z.infer<typeof setCurrentRevisionSchema>;
export type SetHandleRequest = z.infer<typeof setHandleSchema>;
export type DeleteOwnAccountRequest = z.infer<typeof deleteOwnAccountSchema>;
export type CreateShareRequest = z.infer<typeof createShareSchema>;
export type RekeyRequest = z.infer<typeof rekeySchema>;
export type PutAccountDocumentRequest = z.infer<typeof putAccountDocumentSchema>;
export type CreateLinkRequest = z.infer<typeof createLinkSchema>;
export type EditLinkRequest = z.infer<typeof editLinkSchema>;

export const REQUEST_LINK_LIMITS = {
  /** Longest message to the uploader, in characters. */
  messageChars: 2000,
  /** Most files one request link may take. */
  maxFiles: 10_000,
  /** Most bytes one request link may take, whatever the owner's quota. */
  maxBytes: 100 * 1024 ** 3,
};

/**
 * A new file-request link, made by the owner's client (docs/FORMAT.md section 4.5): the folder, the limits, and the
 * message with the owner's signature over it, the link id, the owner and the folder.
 */
export const createRequestLinkSchema = z.strictObject({
  id: idSchema,
  nodeId: idSchema,
  encryptedLabel: base64url.min(1).max(LINK_LIMITS.labelChars).nullable(),
  message: z
    .string()
    .max(REQUEST_LINK_LIMITS.messageChars, `a message is at most ${REQUEST_LINK_LIMITS.messageChars} characters`),
  messageSignature: base64url.refine(
    (text) => decodeBase64url(text).length === GRANT_SIGNATURE_BYTES,
    `must be ${GRANT_SIGNATURE_BYTES} bytes (r || s), base64url`,
  ),
  maxFiles: whole('maxFiles', { min: 1, max: REQUEST_LINK_LIMITS.maxFiles }),
  maxBytes: whole('maxBytes', { min: 1, max: REQUEST_LINK_LIMITS.maxBytes }),
  expiresAt: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time like 2026-06-01T12:00:00Z' }).nullable(),
});

/**
 * A request link's limits and expiry, changed after it exists; a field left out stays as it is. The message is in the
 * owner's signed terms (docs/FORMAT.md section 4.5), so it is not among them.
 */
export const updateRequestLinkSchema = z.strictObject({
  maxFiles: whole('maxFiles', { min: 1, max: REQUEST_LINK_LIMITS.maxFiles }).optional(),
  maxBytes: whole('maxBytes', { min: 1, max: REQUEST_LINK_LIMITS.maxBytes }).optional(),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 time like 2026-06-01T12:00:00Z' })
    .nullable()
    .optional(),
});

/**
 * A file uploaded through a request link: its stream as for any new file (the header names the file id and revision
 * 1), its key sealed to the owner and its metadata encrypted under the file key, bound to the link's folder.
 */
export const createRequestUploadSchema = z.strictObject({
  nodeId: idSchema,
  header: createUploadSchema.shape.header,
  size: createUploadSchema.shape.size,
  chunkCount: createUploadSchema.shape.chunkCount,
  seal: z.strictObject({
    ephemeralPublicKey: base64url.min(1).max(256),
    wrapped: tokenWrap,
  }),
  encryptedMetadata: tokenMetadata,
});

/** The owner takes a pending file into the folder: its key, opened from the seal, wrapped under the folder's key. */
export const acceptRequestUploadSchema = z.strictObject({ wrappedKey: tokenWrap });

export type CreateRequestLinkRequest = z.infer<typeof createRequestLinkSchema>;
export type UpdateRequestLinkRequest = z.infer<typeof updateRequestLinkSchema>;
export type CreateRequestUploadRequest = z.infer<typeof createRequestUploadSchema>;
export type AcceptRequestUploadRequest = z.infer<typeof acceptRequestUploadSchema>;
