/**
 * Writes tests/vectors/coffer.json and the worked example in docs/FORMAT.md: stream, wrapped-key, sealed-text, passphrase, grant,
 * link, request-seal, account, metadata, thumbnail, request-terms, node-author, folder-manifest and export-archive vectors with every random input fixed,
 * so that any implementation can check it produces exactly these bytes. Run with `npm run vectors`; the output is
 * committed.
 */
import { createECDH, createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { concatBytes, fromHex, toHex, u16, u32, u64, u8, utf8 } from '../shared/crypto/bytes.ts';
import { hkdf, importHkdfKey } from '../shared/crypto/hkdf.ts';
import {
  decodeBase64url,
  deriveLinkKeys,
  DEFAULT_ARGON2ID,
  DEFAULT_CHUNK_SIZE,
  encodeBase64url,
  encryptBytes,
  fingerprintText,
  grantSignedBytes,
  authorSignedBytes,
  signAuthorship,
  HEADER_BYTES,
  LABEL_GRANT_WRAP,
  LABEL_LINK_PASSWORD_SALT,
  LABEL_REQUEST_SEAL,
  LABEL_STREAM_CHUNK,
  LABEL_STREAM_HEADER,
  linkFragment,
  makeGrant,
  MIN_PASSPHRASE_ITERATIONS,
  passphraseWrappingSecret,
  requestTermsBytes,
  sealRequestFileKey,
  signRequestTerms,
  SEALED_TEXT_PURPOSES,
  wrapForLink,
  wrapKey,
  type Argon2idParams,
  type AuthorAction,
  type AuthorSignature,
  type Grant,
  type GrantTerms,
  type PassphraseParams,
  type Pbkdf2Params,
} from '../shared/crypto/index.ts';
import { keyPairFromJwk, publicKeySpki, type VectorJwk } from '../tests/vectors/keys.ts';
import { patternBytes, VECTOR_PATTERN } from '../tests/vectors/pattern.ts';
import { accountSealedTexts, accountVectors } from './vectors/account-vectors.ts';
import { deterministicRandom, seededJwk, TIMESTAMP } from './vectors/deterministic.ts';
import { keptSignature } from './vectors/kept-signature.ts';
import { keySetVectors, type KeySetVector } from './vectors/key-set-vectors.ts';
import { sealedTextVector } from './vectors/sealed-text-vector.ts';
import { exportVectors } from './vectors/export-vectors.ts';
import {
  folderManifestRefusalVectors,
  folderManifestVectors,
  type FolderManifestVector,
} from './vectors/folder-manifest-vectors.ts';
import {
  editorRosterRefusalVectors,
  editorRosterVectors,
  type EditorRosterVector,
} from './vectors/editor-roster-vectors.ts';
import { metadataVectors, thumbnailVectors } from './vectors/tree-vectors.ts';

const SMALL_CHUNK = 1024;
const streamCases: { name: string; size: number; chunkSize: number }[] = [
  { name: 'worked-example', size: 5, chunkSize: SMALL_CHUNK },
  { name: 'empty', size: 0, chunkSize: SMALL_CHUNK },
  { name: 'one-byte', size: 1, chunkSize: SMALL_CHUNK },
  { name: 'one-chunk-minus-one', size: SMALL_CHUNK - 1, chunkSize: SMALL_CHUNK },
  { name: 'one-chunk', size: SMALL_CHUNK, chunkSize: SMALL_CHUNK },
  { name: 'one-chunk-plus-one', size: SMALL_CHUNK + 1, chunkSize: SMALL_CHUNK },
  { name: 'several-chunks', size: 3 * SMALL_CHUNK + 100, chunkSize: SMALL_CHUNK },
  { name: 'several-chunks-exact', size: 3 * SMALL_CHUNK, chunkSize: SMALL_CHUNK },
  { name: 'default-chunk-size', size: DEFAULT_CHUNK_SIZE + 1, chunkSize: DEFAULT_CHUNK_SIZE },
];

interface StreamVector {
  name: string;
  fileKey: string;
  fileId: string;
  revision: number;
  chunkSize: number;
  timestamp: number;
  nonce: string;
  ivs: string[];
  plaintextSize: number;
  ciphertext: string;
}

const stream: StreamVector[] = [];
for (const { name, size, chunkSize } of streamCases) {
  const { random, recorded } = deterministicRandom(`coffer stream vector ${name}`);
  const fileKey = random(32);
  const fileId = random(16);
  recorded.length = 0;
  const ciphertext = await encryptBytes(patternBytes(size), {
    fileKey,
    fileId,
    revision: 7,
    chunkSize,
    random,
    now: () => TIMESTAMP,
  });
  const [nonce, ...ivs] = recorded;
  stream.push({
    name,
    fileKey: encodeBase64url(fileKey),
    fileId: toHex(fileId),
    revision: 7,
    chunkSize,
    timestamp: TIMESTAMP,
    nonce: toHex(nonce!),
    ivs: ivs.map(toHex),
    plaintextSize: size,
    ciphertext: encodeBase64url(ciphertext),
  });
}

const wrap = [];
for (const [name, purpose] of [
  ['file-key', 'file-key'],
  ['folder-key', 'folder-key'],
] as const) {
  const { random } = deterministicRandom(`coffer wrap vector ${name}`);
  const wrappingSecret = random(32);
  const key = random(32);
  const iv = random(16);
  const binding = { purpose, owner: 'user-1', object: 'c0ffee00-0000-4000-8000-000000000001' };
  wrap.push({
    name,
    wrappingSecret: encodeBase64url(wrappingSecret),
    ...binding,
    key: encodeBase64url(key),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    wrapped: await wrapKey(wrappingSecret, key, binding, { iv, timestamp: TIMESTAMP }),
  });
}

/**
 * Sealed texts (docs/FORMAT.md section 4): the account's contacts and the shares it accepted, each as JSON with the
 * revision sealed among its entries, under its master key with the account as owner and as object.
 */
const sealedText = [];
const ownSealedTexts: [string, string, string, (random: (length: number) => Uint8Array) => unknown][] = [
  [
    'contacts',
    SEALED_TEXT_PURPOSES.contacts,
    'c0ffee00-0000-4000-8000-0000000000aa',
    (random) => ({
      version: 2,
      revision: 3,
      contacts: [
        {
          handle: 'bob',
          userId: 'c0ffee00-0000-4000-8000-0000000000bb',
          sharingKey: encodeBase64url(random(91)),
          signingKey: encodeBase64url(random(91)),
          verified: true,
        },
      ],
    }),
  ],
  [
    'contacts-without-revision',
    SEALED_TEXT_PURPOSES.contacts,
    'c0ffee00-0000-4000-8000-0000000000aa',
    (random) => ({
      version: 1,
      contacts: [
        {
          handle: 'carol',
          userId: 'c0ffee00-0000-4000-8000-0000000000cc',
          sharingKey: encodeBase64url(random(91)),
          signingKey: encodeBase64url(random(91)),
          verified: false,
        },
      ],
    }),
  ],
  [
    'accepted-shares',
    SEALED_TEXT_PURPOSES.acceptedShares,
    'c0ffee00-0000-4000-8000-0000000000bb',
    () => ({
      version: 2,
      revision: 1,
      shares: [
        {
          shareId: 'c0ffee00-0000-4000-8000-0000000000e1',
          senderId: 'c0ffee00-0000-4000-8000-0000000000aa',
          ownerId: 'c0ffee00-0000-4000-8000-0000000000aa',
          nodeId: 'c0ffee00-0000-4000-8000-0000000000f1',
          kind: 'folder',
          role: 'viewer',
        },
      ],
    }),
  ],
];
for (const [name, purpose, account, content] of ownSealedTexts) {
  const { random } = deterministicRandom(`coffer sealed text vector ${name}`);
  const wrappingSecret = random(32);
  const iv = random(16);
  const binding = { purpose, owner: account, object: account };
  const list = content(random) as { revision?: number };
  // The revision a reader takes the list to be at: 0 for one sealed before revisions (FORMAT.md section 4).
  sealedText.push({
    ...(await sealedTextVector(name, wrappingSecret, binding, JSON.stringify(list), iv)),
    listRevision: list.revision ?? 0,
  });
}

/**
 * The master key wrapped under a passphrase (docs/FORMAT.md section 4.1), once per KDF. The passphrase is given
 * decomposed ("e" and a combining accent), so an implementation that skips the NFC normalization gets another secret.
 */
const passphrase = [];
const legacyAndCurrent: [string, Omit<Argon2idParams, 'salt'> | Omit<Pbkdf2Params, 'salt'>][] = [
  ['argon2id', { kdf: 'Argon2id', ...DEFAULT_ARGON2ID }],
  ['pbkdf2-sha256-legacy', { kdf: 'PBKDF2-SHA256', iterations: MIN_PASSPHRASE_ITERATIONS }],
];
for (const [name, kdf] of legacyAndCurrent) {
  const { random } = deterministicRandom(`coffer passphrase vector ${name}`);
  const text = 'cafe\u0301 tulip orbit 1987';
  const params = { ...kdf, salt: encodeBase64url(random(16), { padding: false }) } as PassphraseParams;
  const masterKey = random(32);
  const iv = random(16);
  const secret = await passphraseWrappingSecret(text, params);
  const binding = { purpose: 'master-key', owner: 'c0ffee00-0000-4000-8000-0000000000aa', object: 'passphrase' };
  passphrase.push({
    name,
    passphrase: text,
    passphraseNfcUtf8: toHex(utf8(text.normalize('NFC'))),
    params,
    wrappingSecret: toHex(secret),
    ...binding,
    masterKey: encodeBase64url(masterKey),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    wrapped: await wrapKey(secret, masterKey, binding, { iv, timestamp: TIMESTAMP }),
  });
}

const out = new URL('../tests/vectors/coffer.json', import.meta.url);
const previous = existsSync(out)
  ? (JSON.parse(readFileSync(out, 'utf8')) as {
      grant?: GrantVector[];
      nodeAuthor?: NodeAuthorVector[];
      folderManifest?: FolderManifestVector[];
      editorRoster?: EditorRosterVector[];
      keySet?: KeySetVector[];
      requestTerms?: { name: string; signedBytes: string; signature: string }[];
    })
  : {};

/** The sealing secret (docs/FORMAT.md section 4.2), computed here with Node's own ECDH, for implementers to compare. */
async function sealingSecret(label: string, ephemeral: VectorJwk, recipient: VectorJwk): Promise<string> {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(decodeBase64url(ephemeral.d));
  const shared = ecdh.computeSecret(concatBytes(u8(4), decodeBase64url(recipient.x), decodeBase64url(recipient.y)));
  const [ephemeralSpki, recipientSpki] = await Promise.all([publicKeySpki(ephemeral), publicKeySpki(recipient)]);
  const salt = concatBytes(u16(ephemeralSpki.length), ephemeralSpki, u16(recipientSpki.length), recipientSpki);
  return toHex(await hkdf(await importHkdfKey(shared), salt, utf8(label)));
}

/**
 * Grants (docs/FORMAT.md section 4.3), each with a signature from the previous run when it still verifies over the
 * same bytes (kept-signature.ts says why).
 */
interface GrantVector {
  name: string;
  senderSigningKey: VectorJwk;
  recipientSharingKey: VectorJwk;
  ephemeralKey: VectorJwk;
  nodeKey: string;
  iv: string;
  timestamp: number;
  sealingSecret: string;
  signedBytes: string;
  grant: Grant;
}
const grant: GrantVector[] = [];
const grantCases: [string, Pick<GrantTerms, 'kind' | 'role'>][] = [
  ['file-viewer', { kind: 'file', role: 'viewer' }],
  ['folder-editor', { kind: 'folder', role: 'editor' }],
];
for (const [name, { kind, role }] of grantCases) {
  const { random } = deterministicRandom(`coffer grant vector ${name}`);
  const senderSigningKey = seededJwk(`coffer grant vector ${name} sender signing key`);
  const recipientSharingKey = seededJwk(`coffer grant vector ${name} recipient sharing key`);
  const ephemeralKey = seededJwk(`coffer grant vector ${name} ephemeral key`);
  const nodeKey = random(32);
  const iv = random(16);
  const terms: GrantTerms = {
    senderId: 'c0ffee00-0000-4000-8000-0000000000aa',
    recipientId: 'c0ffee00-0000-4000-8000-0000000000bb',
    ownerId: 'c0ffee00-0000-4000-8000-0000000000aa',
    nodeId: kind === 'file' ? 'c0ffee00-0000-4000-8000-000000000001' : 'c0ffee00-0000-4000-8000-000000000002',
    kind,
    role,
  };
  const recipientSpki = await publicKeySpki(recipientSharingKey);
  const sender = await keyPairFromJwk(senderSigningKey, 'ECDSA');
  const made = await makeGrant(
    { terms, nodeKey, senderSigningKey: sender.privateKey, recipientSharingKey: recipientSpki },
    { ephemeral: await keyPairFromJwk(ephemeralKey, 'ECDH'), iv, timestamp: TIMESTAMP },
  );
  const signedBytes = grantSignedBytes(made, recipientSpki);
  const before = previous.grant?.find((vector) => vector.name === name);
  const signature = await keptSignature(
    before && { signedBytes: before.signedBytes, signature: before.grant.signature },
    signedBytes,
    sender.publicKey,
    () => Promise.resolve(made.signature),
  );
  grant.push({
    name,
    senderSigningKey,
    recipientSharingKey,
    ephemeralKey,
    nodeKey: encodeBase64url(nodeKey),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    sealingSecret: await sealingSecret(LABEL_GRANT_WRAP, ephemeralKey, recipientSharingKey),
    signedBytes: toHex(signedBytes),
    grant: { ...made, signature },
  });
}

/**
 * Author signatures (docs/FORMAT.md section 5.2): an editor's new file in the owner's folder, and an owner's move of
 * a folder. The header and metadata are fixed bytes standing for what the client sent; the signature covers them as
 * bytes. A signature from the previous run is kept, as for grants, when it still verifies over the same bytes.
 */
interface NodeAuthorVector {
  name: string;
  signingKey: VectorJwk;
  statement: {
    action: AuthorAction;
    authorId: string;
    ownerId: string;
    nodeId: string;
    parentId: string | null;
    kind: 'file' | 'folder';
    revision: { number: number; header: string } | null;
    encryptedMetadata: string;
  };
  signedBytes: string;
  authorSignature: AuthorSignature;
}
const nodeAuthor: NodeAuthorVector[] = [];
const nodeAuthorCases: [string, AuthorAction, 'file' | 'folder'][] = [
  ['editor-file-create', 'create', 'file'],
  ['owner-folder-move', 'move', 'folder'],
];
for (const [name, action, kind] of nodeAuthorCases) {
  const { random } = deterministicRandom(`coffer node author vector ${name}`);
  const signingKey = seededJwk(`coffer node author vector ${name} signing key`);
  const owner = 'c0ffee00-0000-4000-8000-0000000000aa';
  const statement: NodeAuthorVector['statement'] = {
    action,
    authorId: kind === 'file' ? 'c0ffee00-0000-4000-8000-0000000000bb' : owner,
    ownerId: owner,
    nodeId: kind === 'file' ? 'c0ffee00-0000-4000-8000-000000000001' : 'c0ffee00-0000-4000-8000-000000000002',
    parentId: 'c0ffee00-0000-4000-8000-000000000003',
    kind,
    revision: kind === 'file' ? { number: 1, header: encodeBase64url(random(HEADER_BYTES)) } : null,
    encryptedMetadata: encodeBase64url(random(153)),
  };
  const bytes = {
    ...statement,
    revision: statement.revision && {
      number: statement.revision.number,
      header: decodeBase64url(statement.revision.header),
    },
    encryptedMetadata: decodeBase64url(statement.encryptedMetadata),
  };
  const author = await keyPairFromJwk(signingKey, 'ECDSA');
  const signedBytes = await authorSignedBytes(bytes);
  const before = previous.nodeAuthor?.find((vector) => vector.name === name);
  const signature = await keptSignature(
    before && { signedBytes: before.signedBytes, signature: before.authorSignature.signature },
    signedBytes,
    author.publicKey,
    async () => (await signAuthorship(bytes, author.privateKey)).signature,
  );
  nodeAuthor.push({
    name,
    signingKey,
    statement,
    signedBytes: toHex(signedBytes),
    authorSignature: { action, signature },
  });
}

/** Share links (docs/FORMAT.md section 4.4), without and with a password (typed decomposed, to test the NFC step). */
const link = [];
for (const password of [undefined, 'E\u0301te\u0301 au phare 1987']) {
  const name = password === undefined ? 'no-password' : 'password';
  const { random } = deterministicRandom(`coffer link vector ${name}`);
  const secret = encodeBase64url(random(32), { padding: false });
  const linkId = encodeBase64url(random(12), { padding: false });
  const nodeKey = random(32);
  const iv = random(16);
  const place = {
    linkId,
    ownerId: 'c0ffee00-0000-4000-8000-0000000000aa',
    nodeId: 'c0ffee00-0000-4000-8000-000000000002',
    kind: 'folder' as const,
  };
  const keys = await deriveLinkKeys(secret, linkId, password);
  const passwordSalt = await hkdf(
    await importHkdfKey(decodeBase64url(secret)),
    utf8(linkId),
    utf8(LABEL_LINK_PASSWORD_SALT),
    16,
  );
  link.push({
    name,
    secret,
    fragment: linkFragment(secret, password !== undefined),
    ...(password === undefined
      ? {}
      : { password, argon2id: DEFAULT_ARGON2ID, passwordSalt: encodeBase64url(passwordSalt, { padding: false }) }),
    ...place,
    wrappingSecret: toHex(keys.wrappingSecret),
    accessToken: toHex(keys.accessToken),
    accessTokenHash: createHash('sha256').update(keys.accessToken).digest('hex'),
    nodeKey: encodeBase64url(nodeKey),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    wrapped: await wrapForLink(keys, nodeKey, place, { iv, timestamp: TIMESTAMP }),
  });
}

/** A file key sealed to the owner through a request link (docs/FORMAT.md section 4.5). */
const requestSeal = [];
{
  const name = 'request-file-key';
  const { random } = deterministicRandom(`coffer request seal vector ${name}`);
  const ownerSharingKey = seededJwk(`coffer request seal vector ${name} owner sharing key`);
  const ownerSigningKey = seededJwk(`coffer request seal vector ${name} owner signing key`);
  const ephemeralKey = seededJwk(`coffer request seal vector ${name} ephemeral key`);
  const fileKey = random(32);
  const iv = random(16);
  const place = {
    requestLinkId: encodeBase64url(random(12), { padding: false }),
    ownerId: 'c0ffee00-0000-4000-8000-0000000000aa',
    nodeId: 'c0ffee00-0000-4000-8000-000000000003',
  };
  const owner = { sharing: await publicKeySpki(ownerSharingKey), signing: await publicKeySpki(ownerSigningKey) };
  const fingerprint = await fingerprintText([owner.sharing, owner.signing]);
  requestSeal.push({
    name,
    ownerSharingKey,
    ownerSigningPublicKey: encodeBase64url(owner.signing),
    fingerprint,
    ephemeralKey,
    ...place,
    fileKey: encodeBase64url(fileKey),
    iv: toHex(iv),
    timestamp: TIMESTAMP,
    sealingSecret: await sealingSecret(LABEL_REQUEST_SEAL, ephemeralKey, ownerSharingKey),
    seal: await sealRequestFileKey(owner, fingerprint, fileKey, place, {
      ephemeral: await keyPairFromJwk(ephemeralKey, 'ECDH'),
      iv,
      timestamp: TIMESTAMP,
    }),
  });
}

const account = await accountVectors();
const metadata = await metadataVectors();
const thumbnail = await thumbnailVectors();
sealedText.push(...(await accountSealedTexts(account[0]!)));
const exportArchive = await exportVectors(account[0]!);
const folderManifest = await folderManifestVectors(previous.folderManifest);
const editorRoster = await editorRosterVectors(previous.editorRoster);
/**
 * A request link's terms as the owner signs them (docs/FORMAT.md section 4.5): the bytes signed, and a signature that
 * verifies, kept from the previous run as for grants.
 */
const requestTerms = [];
{
  const name = 'request-terms';
  const ownerSigningKey = seededJwk(`coffer request terms vector ${name} owner signing key`);
  const terms = {
    requestLinkId: 'c0ffee00-0000-4000-8000-0000000000cc',
    ownerId: 'c0ffee00-0000-4000-8000-0000000000aa',
    folderId: 'c0ffee00-0000-4000-8000-000000000002',
    message: 'Please send the scans — thank you',
  };
  const signer = await keyPairFromJwk(ownerSigningKey, 'ECDSA');
  const signedBytes = requestTermsBytes(terms);
  requestTerms.push({
    name,
    ownerSigningKey,
    ...terms,
    signedBytes: toHex(signedBytes),
    signature: await keptSignature(
      previous.requestTerms?.find((vector) => vector.name === name),
      signedBytes,
      signer.publicKey,
      () => signRequestTerms(signer.privateKey, terms),
    ),
  });
}

const vectors = {
  plaintextPattern: VECTOR_PATTERN,
  stream,
  wrap,
  sealedText,
  passphrase,
  grant,
  link,
  requestSeal,
  account,
  metadata,
  thumbnail,
  requestTerms,
  nodeAuthor,
  folderManifest,
  folderManifestRefusal: folderManifestRefusalVectors(folderManifest),
  editorRoster,
  editorRosterRefusal: editorRosterRefusalVectors(editorRoster),
  keySet: await keySetVectors(previous.keySet),
  exportArchive,
};
writeFileSync(out, JSON.stringify(vectors, null, 1) + '\n');
console.log(
  `wrote ${stream.length} stream, ${wrap.length} wrap, ${sealedText.length} sealed-text, ${passphrase.length} passphrase, ${grant.length} grant, ` +
    `${link.length} link, ${requestSeal.length} request-seal, ${account.length} account, ${metadata.length} metadata, ` +
    `${thumbnail.length} thumbnail, ${requestTerms.length} request-terms, ${nodeAuthor.length} node-author, ${folderManifest.length} folder-manifest, ` +
    `${vectors.folderManifestRefusal.length} folder-manifest-refusal, ${editorRoster.length} editor-roster, ` +
    `${vectors.editorRosterRefusal.length} editor-roster-refusal, ` +
    `${vectors.keySet.length} key-set and ${exportArchive.length} export-archive vectors ` +
    `to ${out.pathname}`,
);

/** Writes the worked example of docs/FORMAT.md section 6 from the first stream vector, showing every intermediate. */
async function workedExample(vector: StreamVector): Promise<string> {
  const fileKey = decodeBase64url(vector.fileKey);
  const ciphertext = decodeBase64url(vector.ciphertext);
  const ikm = await importHkdfKey(fileKey);
  const nonce = fromHex(vector.nonce);
  const headerKey = await hkdf(ikm, nonce, utf8(LABEL_STREAM_HEADER));
  const chunkInfo = concatBytes(
    utf8(LABEL_STREAM_CHUNK),
    u8(0),
    fromHex(vector.fileId),
    u32(vector.revision),
    u64(0),
    u8(1),
  );
  const chunkKey = await hkdf(ikm, nonce, chunkInfo);
  const header = ciphertext.subarray(0, HEADER_BYTES);
  const token = ciphertext.subarray(HEADER_BYTES);
  const lines = [
    `plaintext        ${toHex(patternBytes(vector.plaintextSize))} (${vector.plaintextSize} bytes)`,
    `file_key         ${toHex(fileKey)}`,
    `                 (base64url: ${vector.fileKey})`,
    `chunk_size       ${vector.chunkSize}`,
    `file_id          ${vector.fileId}`,
    `revision         ${vector.revision}`,
    `nonce            ${vector.nonce}`,
    `header_key       ${toHex(headerKey)}`,
    `header           ${toHex(header.subarray(0, 6))} ${toHex(header.subarray(6, 8))} ${toHex(header.subarray(8, 12))}`,
    `                 ${toHex(header.subarray(12, 28))} ${toHex(header.subarray(28, 32))}`,
    `                 ${toHex(header.subarray(32, 48))}`,
    `                 ${toHex(header.subarray(48, 80))} (header_mac)`,
    `chunk 0 info     ${toHex(chunkInfo)}`,
    `chunk_key(0, 1)  ${toHex(chunkKey)}`,
    `                 (as a Fernet key: ${encodeBase64url(chunkKey)})`,
    `timestamp        ${vector.timestamp}`,
    `iv               ${vector.ivs[0]}`,
    `chunk 0 token    ${toHex(token.subarray(0, 25))}`,
    `                 ${toHex(token.subarray(25, token.length - 32))}`,
    `                 ${toHex(token.subarray(token.length - 32))}`,
    `                 (as a Fernet token: ${encodeBase64url(token)})`,
  ];
  return ['```', ...lines, '```'].join('\n');
}

const formatDoc = new URL('../docs/FORMAT.md', import.meta.url);
const example = await workedExample(stream[0]!);
writeFileSync(
  formatDoc,
  readFileSync(formatDoc, 'utf8').replace(
    /(<!-- worked-example:start -->\n)[\s\S]*?(<!-- worked-example:end -->)/,
    (_, start: string, end: string) => `${start}\n${example}\n\n${end}`,
  ),
);
console.log(`wrote the worked example to ${formatDoc.pathname}`);
