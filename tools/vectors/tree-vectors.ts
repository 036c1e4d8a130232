/**
 * Node metadata and thumbnail vectors (docs/FORMAT.md sections 5 and 5.1). Each metadata vector is a token under the
 * metadata key of the place it is opened at (or, for the refusals of a place, of another place), with its plaintext,
 * and what a reader must make of it: the metadata, or the error. The plaintexts include what a writer never writes
 * but a reader accepts, so that every implementation draws the line in the same place.
 */
import { concatBytes, toHex, u32, u8, utf8 } from '../../shared/crypto/bytes.ts';
import { hkdf, importHkdfKey } from '../../shared/crypto/hkdf.ts';
import {
  encodeBase64url,
  encryptToken,
  importFernetKey,
  LABEL_METADATA,
  LABEL_THUMBNAIL,
  METADATA_PADDING,
  uuidToBytes,
  type NodeKind,
} from '../../shared/crypto/index.ts';
import { deterministicRandom, TIMESTAMP } from './deterministic.ts';

const OWNER_ID = 'c0ffee00-0000-4000-8000-0000000000aa';
const ROOT_ID = 'c0ffee00-0000-4000-8000-000000000010';
const FOLDER_ID = 'c0ffee00-0000-4000-8000-000000000011';
const FILE_ID = 'c0ffee00-0000-4000-8000-000000000012';
const OTHER_ID = 'c0ffee00-0000-4000-8000-000000000013';

interface Place {
  kind: NodeKind;
  nodeId: string;
  parentId: string | null;
}

const ROOT: Place = { kind: 'folder', nodeId: ROOT_ID, parentId: null };
const FOLDER: Place = { kind: 'folder', nodeId: FOLDER_ID, parentId: ROOT_ID };
const FILE: Place = { kind: 'file', nodeId: FILE_ID, parentId: FOLDER_ID };

const file = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'Été.txt', type: 'text/plain', size: 3, modified: 1_795_000_000_000, revision: 2, ...fields });
const pad = (json: string) =>
  json + ' '.repeat((METADATA_PADDING - (utf8(json).length % METADATA_PADDING)) % METADATA_PADDING);
const refused = { error: 'METADATA_INVALID' } as const;

interface MetadataCase {
  name: string;
  place: Place;
  /** The plaintext's bytes, when not the UTF-8 of `text` padded with spaces to a multiple of 64 bytes. */
  bytes?: Uint8Array;
  text?: string;
  /** The place the token was made for, when not `place`. */
  encryptedFor?: Place;
  /** Whether a writer (encryptMetadata) makes exactly this token. */
  canonical?: boolean;
  expected: { metadata: Record<string, unknown> } | typeof refused;
}

const fileMetadata = { name: 'Été.txt', type: 'text/plain', size: 3, modified: 1_795_000_000_000, revision: 2 };

const cases: MetadataCase[] = [
  {
    name: 'root-folder',
    place: ROOT,
    text: '{"name":"Documents"}',
    canonical: true,
    expected: { metadata: { name: 'Documents' } },
  },
  {
    name: 'folder',
    place: FOLDER,
    text: '{"name":"Photos 2026"}',
    canonical: true,
    expected: { metadata: { name: 'Photos 2026' } },
  },
  { name: 'file', place: FILE, text: file(), canonical: true, expected: { metadata: fileMetadata } },
  {
    name: 'file-smallest-values',
    place: FILE,
    text: file({ type: '', size: 0, modified: 0, revision: 0 }),
    canonical: true,
    expected: { metadata: { ...fileMetadata, type: '', size: 0, modified: 0, revision: 0 } },
  },
  {
    name: 'file-largest-values',
    place: FILE,
    text: file({ type: 't'.repeat(255), size: 2 ** 53 - 1, modified: 2 ** 53 - 1, revision: 2 ** 32 - 1 }),
    canonical: true,
    expected: {
      metadata: {
        ...fileMetadata,
        type: 't'.repeat(255),
        size: 2 ** 53 - 1,
        modified: 2 ** 53 - 1,
        revision: 2 ** 32 - 1,
      },
    },
  },
  {
    name: 'name-of-255-bytes',
    place: FOLDER,
    text: JSON.stringify({ name: `${'é'.repeat(127)}a` }),
    canonical: true,
    expected: { metadata: { name: `${'é'.repeat(127)}a` } },
  },
  {
    name: 'name-with-what-is-not-refused',
    place: FOLDER,
    // Inner white space, a no-break space just past C1, a joined emoji, the marks U+200E and U+061C, and U+202F and
    // U+2065 just past the refused bidirectional ranges.
    text: JSON.stringify({ name: 'a  b\u00a0c\u{1f469}\u200d\u{1f4bb}\u200e\u061c\u202f\u2065d' }),
    canonical: true,
    expected: { metadata: { name: 'a  b\u00a0c\u{1f469}\u200d\u{1f4bb}\u200e\u061c\u202f\u2065d' } },
  },
  {
    name: 'exactly-64-bytes-no-padding',
    place: FOLDER,
    text: JSON.stringify({ name: 'x'.repeat(53) }),
    canonical: true,
    expected: { metadata: { name: 'x'.repeat(53) } },
  },
  { name: 'reader-unpadded', place: FOLDER, bytes: utf8('{"name":"a"}'), expected: { metadata: { name: 'a' } } },
  {
    name: 'reader-whitespace',
    place: FOLDER,
    bytes: utf8('\n\t{ "name" :\r "a" }\n\t\r  '),
    expected: { metadata: { name: 'a' } },
  },
  {
    name: 'reader-other-key-order',
    place: FILE,
    text: '{"revision":2,"modified":1795000000000,"size":3,"type":"text/plain","name":"Été.txt"}',
    expected: { metadata: fileMetadata },
  },
  {
    name: 'reader-number-forms',
    place: FILE,
    text: file({ size: 'SIZE', modified: 'MODIFIED', revision: 'REVISION' })
      .replace('"SIZE"', '3.0')
      .replace('"MODIFIED"', '1.795E12')
      .replace('"REVISION"', '-0'),
    expected: { metadata: { ...fileMetadata, revision: 0 } },
  },
  {
    name: 'reader-escapes',
    place: FOLDER,
    text: '{"\\u006eame":"\\u00c9t\\u00e9"}',
    expected: { metadata: { name: 'Été' } },
  },
  {
    name: 'reader-escaped-surrogate-pair',
    place: FOLDER,
    text: '{"name":"\\ud83d\\ude00"}',
    expected: { metadata: { name: '\u{1f600}' } },
  },
  { name: 'duplicate-key', place: FOLDER, text: '{"name":"first","name":"second"}', expected: refused },
  {
    name: 'duplicate-key-once-unescaped',
    place: FOLDER,
    text: '{"name":"first","\\u006eame":"second"}',
    expected: refused,
  },
  {
    name: 'duplicate-key-same-value',
    place: FILE,
    text: file().replace('"size":3', '"size":3,"size":3'),
    expected: refused,
  },
  { name: 'missing-field', place: FILE, text: '{"name":"a","type":"","size":1,"modified":1}', expected: refused },
  { name: 'extra-field', place: FOLDER, text: '{"name":"a","type":""}', expected: refused },
  { name: 'file-fields-on-a-folder', place: FOLDER, text: file(), expected: refused },
  { name: 'non-integer', place: FILE, text: file({ size: 1.5 }), expected: refused },
  { name: 'negative', place: FILE, text: file({ modified: -1 }), expected: refused },
  { name: 'above-2^53-1', place: FILE, text: file({ size: 2 ** 53 }), expected: refused },
  { name: 'revision-above-u32', place: FILE, text: file({ revision: 2 ** 32 }), expected: refused },
  { name: 'number-as-string', place: FILE, text: file({ size: '3' }), expected: refused },
  { name: 'number-as-boolean', place: FILE, text: file({ size: true }), expected: refused },
  { name: 'number-as-null', place: FILE, text: file({ size: null }), expected: refused },
  { name: 'exponent-overflow', place: FILE, text: file({ size: 'BIG' }).replace('"BIG"', '1e400'), expected: refused },
  { name: 'nan-literal', place: FILE, text: file({ size: 'NAN' }).replace('"NAN"', 'NaN'), expected: refused },
  {
    name: 'infinity-literal',
    place: FILE,
    text: file({ size: 'INF' }).replace('"INF"', 'Infinity'),
    expected: refused,
  },
  { name: 'type-not-a-string', place: FILE, text: file({ type: 1 }), expected: refused },
  { name: 'type-of-256-units', place: FILE, text: file({ type: 'é'.repeat(256) }), expected: refused },
  { name: 'name-not-a-string', place: FOLDER, text: '{"name":1}', expected: refused },
  { name: 'name-empty', place: FOLDER, text: '{"name":""}', expected: refused },
  { name: 'name-only-spaces', place: FOLDER, text: '{"name":"   "}', expected: refused },
  {
    name: 'name-only-unicode-white-space',
    place: FOLDER,
    text: JSON.stringify({ name: '\u3000\u00a0\ufeff\u2028\u2029\u1680\u2000\u200a\u202f\u205f\u000b\u000c\n\r\t' }),
    expected: refused,
  },
  { name: 'name-dot', place: FOLDER, text: '{"name":"."}', expected: refused },
  { name: 'name-dot-dot', place: FOLDER, text: '{"name":".."}', expected: refused },
  { name: 'name-with-slash', place: FOLDER, text: '{"name":"a/b"}', expected: refused },
  { name: 'name-with-backslash', place: FOLDER, text: '{"name":"a\\\\b"}', expected: refused },
  { name: 'name-with-nul', place: FOLDER, text: '{"name":"a\\u0000b"}', expected: refused },
  { name: 'name-leading-space', place: FOLDER, text: '{"name":" a"}', expected: refused },
  { name: 'name-trailing-space', place: FOLDER, text: '{"name":"a.txt "}', expected: refused },
  { name: 'name-trailing-no-break-space', place: FOLDER, text: '{"name":"a\u00a0"}', expected: refused },
  { name: 'name-leading-ideographic-space', place: FOLDER, text: '{"name":"\u3000a"}', expected: refused },
  { name: 'name-trailing-line-feed', place: FOLDER, text: '{"name":"a\\n"}', expected: refused },
  { name: 'name-with-c0-control', place: FOLDER, text: '{"name":"a\\u0001b"}', expected: refused },
  { name: 'name-with-tab', place: FOLDER, text: '{"name":"a\\tb"}', expected: refused },
  { name: 'name-with-unit-separator', place: FOLDER, text: '{"name":"a\\u001fb"}', expected: refused },
  { name: 'name-with-del', place: FOLDER, text: '{"name":"a\u007fb"}', expected: refused },
  { name: 'name-with-c1-control', place: FOLDER, text: '{"name":"a\u0085b"}', expected: refused },
  { name: 'name-with-last-c1-control', place: FOLDER, text: '{"name":"a\u009fb"}', expected: refused },
  { name: 'name-with-left-to-right-embedding', place: FOLDER, text: '{"name":"a\u202ab"}', expected: refused },
  {
    name: 'name-with-right-to-left-override',
    place: FOLDER,
    text: '{"name":"invoice\u202efdp.exe"}',
    expected: refused,
  },
  { name: 'name-with-left-to-right-isolate', place: FOLDER, text: '{"name":"a\u2066b"}', expected: refused },
  { name: 'name-with-pop-directional-isolate', place: FOLDER, text: '{"name":"a\u2069b"}', expected: refused },
  { name: 'name-with-lone-high-surrogate', place: FOLDER, text: '{"name":"a\\ud800b"}', expected: refused },
  { name: 'name-with-lone-low-surrogate', place: FOLDER, text: '{"name":"a\\udfffb"}', expected: refused },
  {
    name: 'name-with-surrogates-in-the-wrong-order',
    place: FOLDER,
    text: '{"name":"\\ude00\\ud83d"}',
    expected: refused,
  },
  { name: 'name-of-256-bytes', place: FOLDER, text: JSON.stringify({ name: `${'é'.repeat(128)}` }), expected: refused },
  { name: 'raw-control-character', place: FOLDER, text: '{"name":"a\u0001b"}', expected: refused },
  { name: 'not-an-object-array', place: FOLDER, text: '[{"name":"a"}]', expected: refused },
  { name: 'not-an-object-null', place: FOLDER, text: 'null', expected: refused },
  { name: 'not-an-object-string', place: FOLDER, text: '"a"', expected: refused },
  { name: 'not-json', place: FOLDER, text: 'name=a', expected: refused },
  { name: 'trailing-garbage', place: FOLDER, bytes: utf8('{"name":"a"}x'), expected: refused },
  { name: 'padded-with-nul', place: FOLDER, bytes: utf8('{"name":"a"}\0\0\0'), expected: refused },
  {
    name: 'invalid-utf-8',
    place: FOLDER,
    bytes: concatBytes(utf8('{"name":"a'), Uint8Array.of(0xff), utf8('"}')),
    expected: refused,
  },
  {
    name: 'byte-order-mark',
    place: FOLDER,
    bytes: concatBytes(Uint8Array.of(0xef, 0xbb, 0xbf), utf8(pad('{"name":"a"}'))),
    expected: refused,
  },
  {
    name: 'made-for-another-parent',
    place: FILE,
    text: file(),
    encryptedFor: { ...FILE, parentId: ROOT_ID },
    expected: refused,
  },
  {
    name: 'made-for-another-node',
    place: FILE,
    text: file(),
    encryptedFor: { ...FILE, nodeId: OTHER_ID },
    expected: refused,
  },
  {
    name: 'made-as-a-file',
    place: { ...FILE, kind: 'folder' },
    text: '{"name":"a"}',
    encryptedFor: FILE,
    expected: refused,
  },
  {
    name: 'made-as-the-root',
    place: { ...ROOT, parentId: OTHER_ID },
    text: '{"name":"a"}',
    encryptedFor: ROOT,
    expected: refused,
  },
];

async function metadataKey(nodeKey: Uint8Array, place: Place) {
  const info = concatBytes(
    utf8(LABEL_METADATA),
    u8(0),
    u8(place.kind === 'folder' ? 1 : 2),
    uuidToBytes(place.nodeId),
    place.parentId === null ? new Uint8Array(16) : uuidToBytes(place.parentId),
  );
  return hkdf(await importHkdfKey(nodeKey), new Uint8Array(0), info);
}

export async function metadataVectors() {
  const out = [];
  for (const { name, place, bytes, text, encryptedFor, canonical, expected } of cases) {
    const { random } = deterministicRandom(`coffer metadata vector ${name}`);
    const nodeKey = random(32);
    const iv = random(16);
    const plaintext = bytes ?? utf8(pad(text!));
    const key = await metadataKey(nodeKey, encryptedFor ?? place);
    const token = await encryptToken(await importFernetKey(key), plaintext, { iv, timestamp: TIMESTAMP });
    out.push({
      name,
      ownerId: OWNER_ID,
      ...place,
      nodeKey: encodeBase64url(nodeKey),
      ...(encryptedFor ? { encryptedFor } : {}),
      metadataKey: encryptedFor ? undefined : toHex(key),
      iv: toHex(iv),
      timestamp: TIMESTAMP,
      plaintext: toHex(plaintext),
      token: encodeBase64url(token),
      canonical: canonical === true,
      expected,
    });
  }
  return out;
}

export async function thumbnailVectors() {
  const { random } = deterministicRandom('coffer thumbnail vector');
  const fileKey = random(32);
  const iv = random(16);
  const image = concatBytes(utf8('RIFF'), Uint8Array.of(20, 0, 0, 0), utf8('WEBPVP8 '), random(12));
  const revision = 4;
  const info = concatBytes(utf8(LABEL_THUMBNAIL), u8(0), uuidToBytes(FILE_ID), u32(revision));
  const key = await hkdf(await importHkdfKey(fileKey), new Uint8Array(0), info);
  const token = encodeBase64url(await encryptToken(await importFernetKey(key), image, { iv, timestamp: TIMESTAMP }));
  const common = { fileKey: encodeBase64url(fileKey), iv: toHex(iv), timestamp: TIMESTAMP, token };
  return [
    {
      name: 'thumbnail',
      fileId: FILE_ID,
      revision,
      thumbnailKey: toHex(key),
      ...common,
      expected: { image: toHex(image) },
    },
    {
      name: 'another-revision',
      fileId: FILE_ID,
      revision: revision + 1,
      ...common,
      expected: { error: 'THUMBNAIL_INVALID' },
    },
    { name: 'another-file', fileId: OTHER_ID, revision, ...common, expected: { error: 'THUMBNAIL_INVALID' } },
  ];
}
