#!/usr/bin/env python3
"""Independent reference decryptor for the Coffer stream format, version 1.

Written only from docs/FORMAT.md (cited below as "spec"), to show that a file
key plus any Fernet library plus HKDF-SHA256 is enough to get a file back.

Usage:
    python3 tools/coffer_decrypt.py --key <base64url file key>
        [--file-id <uuid or 32 hex chars>] [--revision <n>] < in > out
    python3 tools/coffer_decrypt.py open-grant --recipient-key <JWK file>
        --sender-key <base64url SPKI> < grant.json
    python3 tools/coffer_decrypt.py open-link --fragment <fragment> --link-id <id>
        [--password-file <path>] [--argon2id <memoryKiB>,<passes>,<parallelism>]
        < wrapped
    python3 tools/coffer_decrypt.py open-request-seal --owner-key <JWK file>
        --owner-id <uuid> --request-link-id <id> --node-id <uuid> < seal.json
    python3 tools/coffer_decrypt.py open-account
        (--recovery-code-file <path> | --passphrase-file <path>) < bundle.json
    python3 tools/coffer_decrypt.py open-metadata --node-key <base64url>
        --kind folder|file --node-id <uuid> [--parent-id <uuid>] < metadata
    python3 tools/coffer_decrypt.py open-sealed-text --key <base64url>
        --purpose <purpose> --owner <id> --object <id> < sealed
    python3 tools/coffer_decrypt.py verify-author --author-key <base64url SPKI>
        < signed-node.json
    python3 tools/coffer_decrypt.py verify-manifest --writer-key <base64url SPKI>
        < signed-folder.json
    python3 tools/coffer_decrypt.py verify-roster --owner-key <base64url SPKI>
        < signed-roster.json
    python3 tools/coffer_decrypt.py export-open ARCHIVE (--recovery-code-file PATH|- | --recovery-code CODE) OUT_DIR

Reads a Coffer stream (spec section 3) on stdin and writes the plaintext on
stdout, one chunk at a time, in constant memory. On failure it prints one line
`coffer_decrypt: CODE: message` on stderr and exits with status 1. Chunks
written before the failure were each verified, but the output as a whole must
then be treated as incomplete.

open-grant reads a grant (spec 4.3) on stdin, verifies its signature with the
sender's signing public key, opens it with the recipient's sharing private key
(a JWK with d, x and y) and prints its terms and the node key as JSON.
open-link derives a share link's keys from its fragment (the secret, then
".p" for a link with a password, which is then required) and password
(spec 4.4), opens the link's wrap read on stdin and prints the owner, node,
kind and node key as JSON. open-request-seal opens a file key sealed to the
owner through a request link (spec 4.5) with the owner's sharing private key
and prints it as JSON. Any of these keys can then be given to --key for a file.
verify-author reads a node's author signature with what it binds (spec 5.2:
{"statement": {...}, "authorSignature": {"action", "signature"}}, as in the
nodeAuthor vectors) and checks it with the author's signing public key; it
prints the signed bytes in hex and the action, author and node it vouches for.
verify-manifest reads a folder manifest with its place (spec 5.3: {"folderId",
"ownerId", "manifest": {...}}, as in the folderManifest vectors) and checks it
with the writer's signing public key; it prints the signed bytes, the version,
the writer and the ids of the children it names.
verify-roster reads a folder's editor roster with its place (spec 5.4:
{"folderId", "ownerId", "roster": {...}}, as in the editorRoster vectors) and
checks it with the owner's signing public key; it prints the signed bytes, the
version and the ids of the editors it names.
verify-key-set reads an account's signed key set (spec 4.8: {"statement",
"signature"}, as the account bundle's keySet) and checks it with the account's
signing public key; it prints what it states and the signed bytes in hex.

open-account reads an account bundle (the JSON the server returns at sign-in:
userId, recoveryWrap, passphraseWrap, privateKeys, publicKeys), opens the master
key with the recovery code or the passphrase (spec 4.1, 4.7), unwraps the private
keys, checks the published public keys against them and prints the master key,
the private keys (PKCS#8), the public keys and the fingerprint. The master key
opens the root folder's key and the sealed texts (open-sealed-text, which also
prints the revision of the contacts and the accepted shares); each folder
key opens its children's, and open-metadata reads a node's metadata with the rules
of spec 5. tools/coffer_check_vectors.py runs every vector through this file.

export-open opens an encrypted export archive (spec 7) with the account's
recovery code alone: it checks the manifest and every entry's SHA-256, then
writes the decrypted tree into OUT_DIR, which must not exist yet and appears
only once every file has authenticated.

Dependencies: the Python standard library, `cryptography`, and `argon2-cffi`
for links with a password.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import unicodedata

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Spec section 1 (labels) and 3.1 (header layout).
STREAM_MAGIC = b"COFFER"
LABEL_STREAM_HEADER = b"coffer/v1/stream/header"
LABEL_STREAM_CHUNK = b"coffer/v1/stream/chunk"
VERSION = 1
HEADER_LEN = 80
MIN_CHUNK_SIZE = 1024
MAX_CHUNK_SIZE = 16777216

# Spec section 2: 0x80 || u64 timestamp || iv (16) || ciphertext || hmac (32).
FERNET_OVERHEAD = 1 + 8 + 16 + 32  # = 57
FERNET_MIN_TOKEN = FERNET_OVERHEAD + 16  # an empty plaintext still pads to one block


class CofferError(Exception):
    """A failure with one of the spec's error names (plus BAD_KEY)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- Key material (spec sections 3.1 and 3.2) --------------------------------


def hkdf32(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 with extract and expand, L = 32 (spec: notation)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def chunk_fernet(file_key: bytes, nonce: bytes, file_id: bytes, revision: int,
                 index: int, final: bool) -> Fernet:
    """Fernet object for chunk_key(index, final) (spec 3.2).

    info = label || 0x00 || file_id || u32 revision || u64 index || u8 final,
    so a chunk only verifies at its own position, file, revision and finality.
    """
    info = (LABEL_STREAM_CHUNK + b"\x00" + file_id
            + struct.pack(">IQB", revision, index, 1 if final else 0))
    # The derived 32 bytes are used exactly as a Fernet key (sign = 0..15,
    # encrypt = 16..31), which is also cryptography's Fernet key layout.
    return Fernet(base64.urlsafe_b64encode(hkdf32(file_key, nonce, info)))


# --- Input parsing -----------------------------------------------------------

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def parse_key(text: str) -> bytes:
    """Decode a base64url (RFC 4648 section 5) 32-byte key, padded or not.

    Only the URL-safe alphabet and correct '=' padding are accepted: Python's
    own decoders would silently skip stray characters or accept '+' and '/'.
    """
    body = text.rstrip("=")
    pad = len(text) - len(body)
    if not _B64URL.fullmatch(body) or len(body) % 4 == 1:
        raise CofferError("BAD_KEY", "key is not base64url")
    if pad and pad != (-len(body)) % 4:
        raise CofferError("BAD_KEY", "key has wrong '=' padding")
    key = base64.urlsafe_b64decode(body + "=" * ((-len(body)) % 4))
    if len(key) != 32:
        raise CofferError("BAD_KEY", f"key is {len(key)} bytes, expected 32")
    # Refuse non-canonical encodings (non-zero unused bits in the last
    # character, RFC 4648 section 3.5) so a key has exactly one spelling.
    if base64.urlsafe_b64encode(key).decode().rstrip("=") != body:
        raise CofferError("BAD_KEY", "key is not canonical base64url")
    return key


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def parse_file_id(text: str) -> bytes:
    """A file id is a UUID's 16 bytes (spec 3.1); accept the UUID or 32 hex chars."""
    if not (_UUID.fullmatch(text) or _HEX32.fullmatch(text)):
        raise argparse.ArgumentTypeError("expected a UUID or 32 hex characters")
    return bytes.fromhex(text.replace("-", ""))


def parse_revision(text: str) -> int:
    """The revision is a u32 (spec 3.1)."""
    if not re.fullmatch(r"[0-9]+", text) or int(text) > 0xFFFFFFFF:
        raise argparse.ArgumentTypeError("expected an integer from 0 to 4294967295")
    return int(text)


# --- Stream decoding (spec 3.2, "A decoder reads the stream as follows") ----


def read_exact(stream, n: int) -> bytes:
    """Read n bytes, or fewer only at end of input (pipes may return short reads)."""
    parts = []
    while n > 0:
        part = stream.read(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def check_header(header: bytes, file_key: bytes, want_file_id, want_revision):
    """Step 1: check the header (spec 3.1), in the order the spec lists the checks.

    Returns (chunk_size, file_id, revision, nonce).
    """
    if len(header) < HEADER_LEN:
        raise CofferError("HEADER_MALFORMED",
                          f"stream is {len(header)} bytes, shorter than the {HEADER_LEN}-byte header")
    if header[0:6] != STREAM_MAGIC:
        raise CofferError("HEADER_MALFORMED", "bad magic, this is not a Coffer stream")
    # No negotiation: any version other than 1, lower or higher, is refused.
    if header[6] != VERSION:
        raise CofferError("UNSUPPORTED_VERSION", f"format version {header[6]}, only 1 is supported")
    if header[7] != 0:
        raise CofferError("HEADER_MALFORMED", f"flags are 0x{header[7]:02x}, version 1 defines none")
    (chunk_size,) = struct.unpack(">I", header[8:12])
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise CofferError("HEADER_MALFORMED", f"chunk size {chunk_size} out of range")
    file_id = header[12:28]
    (revision,) = struct.unpack(">I", header[28:32])
    nonce = header[32:48]

    header_key = hkdf32(file_key, nonce, LABEL_STREAM_HEADER)
    expected_mac = hmac.new(header_key, header[0:48], "sha256").digest()
    if not hmac.compare_digest(expected_mac, header[48:80]):
        raise CofferError("HEADER_INVALID", "header MAC does not verify (wrong key or altered header)")

    # Only after the MAC: the fields are now authentic, so a difference means a
    # valid header of another file or revision (spec 3.1).
    if want_file_id is not None and file_id != want_file_id:
        raise CofferError("HEADER_MISMATCH", f"file id is {file_id.hex()}, expected {want_file_id.hex()}")
    if want_revision is not None and revision != want_revision:
        raise CofferError("HEADER_MISMATCH", f"revision is {revision}, expected {want_revision}")
    return chunk_size, file_id, revision, nonce


def try_decrypt(fernet: Fernet, chunk: bytes):
    """Fernet-decrypt a binary chunk without TTL (spec 3.2 step 3); None if it fails.

    Fernet.decrypt checks the HMAC before decrypting, so nothing unverified is
    ever returned. Without ttl the timestamp is not checked (spec 2 step 3).
    """
    try:
        return fernet.decrypt(base64.urlsafe_b64encode(chunk))
    except InvalidToken:
        return None


def is_token_length(n: int) -> bool:
    """Whether n bytes can be a whole Fernet token at all (spec 2 step 1)."""
    return n >= FERNET_MIN_TOKEN and (n - FERNET_OVERHEAD) % 16 == 0


def decrypt_stream(inp, out, file_key: bytes, want_file_id=None, want_revision=None):
    chunk_size, file_id, revision, nonce = check_header(
        read_exact(inp, HEADER_LEN), file_key, want_file_id, want_revision)

    # A full chunk's token always has this length (spec 3.2), which is how
    # chunks are delimited without a length prefix.
    T = FERNET_OVERHEAD + 16 * (chunk_size // 16 + 1)

    def key(i, final):
        return chunk_fernet(file_key, nonce, file_id, revision, i, final)

    piece = read_exact(inp, T)
    if not piece:
        raise CofferError("TRUNCATED", "stream ends right after the header")

    index = 0
    while True:
        # Step 2: one byte of lookahead decides finality. A T-byte piece
        # followed by more data is non-final; whatever is left at the end of
        # input (1 to T bytes) is the final chunk.
        lookahead = read_exact(inp, 1)
        final = not lookahead

        plaintext = try_decrypt(key(index, final), piece)
        if plaintext is None:
            # Spec 3.2: after a failure, try the other value of `final` for the
            # same index to tell TRUNCATED / TRAILING_DATA from CHUNK_INVALID.
            if try_decrypt(key(index, not final), piece) is not None:
                if final:
                    raise CofferError("TRUNCATED", f"chunk {index} is the last in the stream but "
                                      "verifies only as non-final: chunks were dropped from the end")
                raise CofferError("TRAILING_DATA", f"chunk {index} verifies as the final chunk "
                                  "but more data follows it")
            # The spec also calls a stream that ends inside a chunk TRUNCATED.
            # The only sign of that is a last piece whose length no Fernet
            # token can have (a cut at a 16-byte boundary looks like tampering).
            if final and not is_token_length(len(piece)):
                raise CofferError("TRUNCATED", f"stream ends inside chunk {index} "
                                  f"({len(piece)} bytes is not a possible chunk length)")
            raise CofferError("CHUNK_INVALID", f"chunk {index} does not verify "
                              "(tampered, reordered, duplicated, or from another file or revision)")

        # Step 4: the verified plaintext must have the length its position implies.
        if final:
            low = 0 if index == 0 else 1  # only an empty file has an empty (lone) chunk
            if not low <= len(plaintext) <= chunk_size:
                raise CofferError("CHUNK_INVALID", f"final chunk {index} holds {len(plaintext)} bytes, "
                                  f"expected {low} to {chunk_size}")
        elif len(plaintext) != chunk_size:
            raise CofferError("CHUNK_INVALID", f"chunk {index} holds {len(plaintext)} bytes, "
                              f"expected {chunk_size}")

        # Step 3: release only verified plaintext, one chunk at a time.
        out.write(plaintext)
        if final:
            break
        index += 1
        piece = lookahead + read_exact(inp, T - 1)
    out.flush()


# --- Wrapped keys, grants and links (spec sections 4, 4.2, 4.3, 4.4) --------

LABEL_WRAP = b"coffer/v1/wrap"
LABEL_GRANT_WRAP = b"coffer/v1/grant/wrap"
LABEL_GRANT_SIGNATURE = b"coffer/v1/grant/signature"
LABEL_LINK_PASSWORD_SALT = b"coffer/v1/link/password-salt"
LABEL_LINK_WRAP = b"coffer/v1/link/wrap"
LABEL_LINK_ACCESS = b"coffer/v1/link/access"
LINK_PASSWORD_MARK = ".p"
LABEL_REQUEST_SEAL = b"coffer/v1/request/seal"
LABEL_NODE_AUTHOR = b"coffer/v1/node/author"
NODE_AUTHOR_VERSION = 1
LABEL_FOLDER_MANIFEST = b"coffer/v1/folder/manifest"
FOLDER_MANIFEST_VERSION = 1
LABEL_FOLDER_EDITORS = b"coffer/v1/folder/editors"
EDITOR_ROSTER_VERSION = 1
LABEL_KEY_SET = b"coffer/v1/key-set"
AUTHOR_ACTIONS = ("create", "revise", "rename", "move", "restore", "rekey")
GRANT_VERSION = 1
# Spec 4.1: what a client accepts for Argon2id, and what new wraps use.
ARGON2ID_MEMORY_KIB = (19456, 1048576)
ARGON2ID_PASSES = (1, 10)
ARGON2ID_PARALLELISM = (1, 4)
ARGON2ID_WORK = (38912, 2097152)
ARGON2ID_DEFAULT = (65536, 3, 1)

_LOWER_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _p256_verifies(spki_der: bytes, signature: bytes, signed: bytes) -> bool:
    """ECDSA P-256 with SHA-256 over `signed`; WebCrypto writes the signature as r || s, cryptography wants DER."""
    try:
        key = serialization.load_der_public_key(spki_der)
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        return False
    return True


def _lower_uuid_bytes(value, what: str, error) -> bytes:
    if not isinstance(value, str) or not _LOWER_UUID.fullmatch(value):
        raise error(f"{what} is a lower-case UUID, got {value!r}")
    return bytes.fromhex(value.replace("-", ""))


def _signed_version(document: dict, malformed) -> tuple:
    """A manifest's or roster's version (1 to 2^32 - 1) and its 64-byte signature, or `malformed`'s error."""
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 0xFFFFFFFF:
        raise malformed(f"version is an integer from 1 to 4294967295, got {version!r}")
    try:
        signature = b64decode(document.get("signature"), "signature")
    except CofferError:
        raise malformed("signature is base64url") from None
    if len(signature) != 64:
        raise malformed(f"signature is 64 bytes (r || s), got {len(signature)}")
    return version, signature
_LINK_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def b64decode(text: str, what: str) -> bytes:
    """base64url, padded or not, canonical only (spec: notation)."""
    if not isinstance(text, str):
        raise CofferError("BAD_BASE64", f"{what} is missing")
    body = text.rstrip("=")
    if not _B64URL.fullmatch(body) or len(body) % 4 == 1:
        raise CofferError("BAD_BASE64", f"{what} is not base64url")
    data = base64.urlsafe_b64decode(body + "=" * ((-len(body)) % 4))
    if base64.urlsafe_b64encode(data).decode().rstrip("=") != body:
        raise CofferError("BAD_BASE64", f"{what} is not canonical base64url")
    return data


def field(data: bytes) -> bytes:
    """u16 length || bytes: every variable field of the format."""
    return struct.pack(">H", len(data)) + data


def wrap_payload(wrapping_secret: bytes, wrapped: str):
    """Spec 4: decrypt under wrap_key and parse strictly: [purpose, owner, object, key], or None."""
    wrap_key = hkdf32(wrapping_secret, b"", LABEL_WRAP)
    try:
        payload = Fernet(base64.urlsafe_b64encode(wrap_key)).decrypt(wrapped.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return None
    if payload[:1] != b"\x01":
        return None
    fields, offset = [], 1
    for limit in (64, 255, 255, 4096):
        if offset + 2 > len(payload):
            return None
        (length,) = struct.unpack(">H", payload[offset:offset + 2])
        offset += 2
        if not 1 <= length <= limit or offset + length > len(payload):
            return None
        fields.append(payload[offset:offset + length])
        offset += length
    return fields if offset == len(payload) else None


def unwrap(wrapping_secret: bytes, wrapped: str, purpose: str, owner: str, obj: str) -> bytes:
    """Spec 4: the key, if the wrap opens and names this purpose, owner and object.

    Every failure is WRAPPED_KEY_INVALID, as the spec asks.
    """
    fields = wrap_payload(wrapping_secret, wrapped)
    if fields is None or fields[:3] != [purpose.encode(), owner.encode(), obj.encode()]:
        raise CofferError("WRAPPED_KEY_INVALID", "wrapped key failed authentication or does not belong to this object")
    return fields[3]


def import_jwk_private(jwk: dict) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key given as a JWK; the public point must match d."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise CofferError("BAD_KEY", "the recipient key is not a P-256 JWK")
    d = int.from_bytes(b64decode(jwk.get("d", ""), "the JWK's d"), "big")
    key = ec.derive_private_key(d, ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    x = int.from_bytes(b64decode(jwk.get("x", ""), "the JWK's x"), "big")
    y = int.from_bytes(b64decode(jwk.get("y", ""), "the JWK's y"), "big")
    if (numbers.x, numbers.y) != (x, y):
        raise CofferError("BAD_KEY", "the JWK's x and y are not the public half of its d")
    return key


def spki(public_key) -> bytes:
    """SPKI DER with an uncompressed point: the bytes WebCrypto exports (spec 4.2)."""
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def open_seal(label: bytes, private_key, ephemeral_spki: bytes, wrapped: str,
              purpose: str, owner: str, obj: str) -> bytes:
    """Spec 4.2: ECDH with the ephemeral key, HKDF salted with both public keys."""
    try:
        ephemeral = serialization.load_der_public_key(ephemeral_spki)
    except ValueError:
        raise CofferError("BAD_KEY", "the ephemeral public key is not a P-256 point in SPKI form") from None
    if not isinstance(ephemeral, ec.EllipticCurvePublicKey) or ephemeral.curve.name != "secp256r1":
        raise CofferError("BAD_KEY", "the ephemeral public key is not a P-256 key")
    shared = private_key.exchange(ec.ECDH(), ephemeral)
    salt = field(ephemeral_spki) + field(spki(private_key.public_key()))
    return unwrap(hkdf32(shared, salt, label), wrapped, purpose, owner, obj)


def grant_signed_bytes(ids: list, kind: str, role: str, ephemeral: bytes, recipient_spki: bytes, token: bytes) -> bytes:
    """Spec 4.3: what the sender signs; ids are the 16-byte sender, recipient, owner and node ids."""
    return (LABEL_GRANT_SIGNATURE + b"\x00" + bytes([GRANT_VERSION])
            + b"".join(field(i) for i in ids)
            + field(kind.encode()) + field(role.encode())
            + field(ephemeral) + field(recipient_spki) + field(token))


def open_grant(grant: dict, recipient_key, sender_spki: bytes) -> dict:
    """Spec 4.3, steps 1, 2 and 4: well formed, signed by the sender, seal opens.

    Step 3 (comparing the terms with what the caller expects) is left to the
    reader of the output, which prints every term.
    """
    def malformed(what):
        return CofferError("GRANT_MALFORMED", f"a grant's {what}")

    if not isinstance(grant, dict) or grant.get("version") != GRANT_VERSION:
        raise malformed(f"version is {GRANT_VERSION}")
    ids = []
    for name in ("senderId", "recipientId", "ownerId", "nodeId"):
        value = grant.get(name)
        if not isinstance(value, str) or not _LOWER_UUID.fullmatch(value):
            raise malformed(f"{name} is a lower-case UUID, got {value!r}")
        ids.append(bytes.fromhex(value.replace("-", "")))
    kind, role = grant.get("kind"), grant.get("role")
    if kind not in ("folder", "file"):
        raise malformed(f"kind is folder or file, got {kind!r}")
    if role not in ("viewer", "editor"):
        raise malformed(f"role is viewer or editor, got {role!r}")
    try:
        ephemeral = b64decode(grant.get("ephemeralPublicKey"), "ephemeralPublicKey")
        token = b64decode(grant.get("wrapped"), "wrapped")
        signature = b64decode(grant.get("signature"), "signature")
    except (CofferError, AttributeError):
        raise malformed("keys, wrap and signature are base64url") from None
    if len(signature) != 64:
        raise malformed(f"signature is 64 bytes, got {len(signature)}")

    signed = grant_signed_bytes(ids, kind, role, ephemeral, spki(recipient_key.public_key()), token)
    if not _p256_verifies(sender_spki, signature, signed):
        raise CofferError("GRANT_SIGNATURE_INVALID", "the grant's signature does not verify with the sender's key")

    obj = ":".join([grant["nodeId"], kind, grant["senderId"], grant["recipientId"], role])
    node_key = open_seal(LABEL_GRANT_WRAP, recipient_key, ephemeral, grant["wrapped"],
                         "share-key", grant["ownerId"], obj)
    terms = {name: grant[name] for name in ("senderId", "recipientId", "ownerId", "nodeId", "kind", "role")}
    return {**terms, "nodeKey": base64.urlsafe_b64encode(node_key).decode()}


# JavaScript's white space (String.prototype.trim and \s): what a name may not be made of only (spec 5), and what a
# recovery code may hold between its characters (spec 4.7).
NAME_WHITE_SPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                    "\u2028\u2029\u202f\u205f\u3000\ufeff")


def check_range(name: str, value, low: int, high: int) -> None:
    """Spec 4.1: below the floor (or not a whole number) is WEAK_PARAMETERS, above the ceiling PARAMETERS_TOO_COSTLY."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise CofferError("WEAK_PARAMETERS", f"{name} must be a whole number of at least {low}, got {value!r}")
    if value > high:
        raise CofferError("PARAMETERS_TOO_COSTLY", f"{name} must be at most {high}, got {value}")


def check_argon2id(memory, passes, lanes) -> None:
    """Spec 4.1: the bounds a client accepts, checked before any work."""
    check_range("Argon2id memoryKiB", memory, *ARGON2ID_MEMORY_KIB)
    check_range("Argon2id passes", passes, *ARGON2ID_PASSES)
    check_range("Argon2id parallelism", lanes, *ARGON2ID_PARALLELISM)
    check_range("Argon2id memoryKiB x passes", memory * passes, *ARGON2ID_WORK)


def argon2id(password: bytes, salt: bytes, memory: int, passes: int, lanes: int) -> bytes:
    """Spec 4.1: RFC 9106's Argon2id, version 0x13, no secret, no associated data, 32 bytes."""
    from argon2.low_level import Type, hash_secret_raw  # only passphrases and link passwords need it

    return hash_secret_raw(password, salt, time_cost=passes, memory_cost=memory, parallelism=lanes,
                           hash_len=32, type=Type.ID, version=19)


def verify_author(signed_node: dict, author_spki: bytes) -> dict:
    """Spec 5.2: the author's key signed exactly this node, as listed."""
    def malformed(what):
        return CofferError("AUTHOR_SIGNATURE_MALFORMED", f"an author signature's {what}")

    statement = signed_node.get("statement") if isinstance(signed_node, dict) else None
    signature = signed_node.get("authorSignature") if isinstance(signed_node, dict) else None
    if not isinstance(statement, dict) or not isinstance(signature, dict):
        raise malformed("input is {statement, authorSignature}")
    action = signature.get("action")
    if action not in AUTHOR_ACTIONS:
        raise malformed(f"action is one of {', '.join(AUTHOR_ACTIONS)}, got {action!r}")
    try:
        signature_bytes = b64decode(signature.get("signature"), "signature")
    except CofferError:
        raise malformed("signature is base64url") from None
    if len(signature_bytes) != 64:
        raise malformed(f"signature is 64 bytes (r || s), got {len(signature_bytes)}")

    def uuid_bytes(name, nullable=False):
        value = statement.get(name)
        if value is None and nullable:
            return bytes(16)
        if not isinstance(value, str) or not _LOWER_UUID.fullmatch(value):
            raise CofferError("BAD_ARGUMENT", f"the statement's {name} is a lower-case UUID, got {value!r}")
        return bytes.fromhex(value.replace("-", ""))

    kind = statement.get("kind")
    revision = statement.get("revision")
    if kind not in ("folder", "file") or (kind == "file") != isinstance(revision, dict):
        raise CofferError("BAD_ARGUMENT", "a file names its revision {number, header}, a folder none")
    number = revision["number"] if revision else 0
    header_digest = hashlib.sha256(b64decode(revision["header"], "header")).digest() if revision else b""
    metadata = b64decode(statement.get("encryptedMetadata"), "encryptedMetadata")
    fields = [action.encode(), uuid_bytes("authorId"), uuid_bytes("ownerId"), uuid_bytes("nodeId"),
              uuid_bytes("parentId", nullable=True), kind.encode(), struct.pack(">I", number),
              header_digest, hashlib.sha256(metadata).digest()]
    signed = LABEL_NODE_AUTHOR + b"\x00" + bytes([NODE_AUTHOR_VERSION]) + b"".join(field(f) for f in fields)
    if not _p256_verifies(author_spki, signature_bytes, signed):
        raise CofferError("AUTHOR_SIGNATURE_INVALID", "the author signature does not verify with the author's key")
    return {"signedBytes": signed.hex(), "action": action, "authorId": statement["authorId"],
            "nodeId": statement["nodeId"]}


def manifest_entry(child: dict) -> dict:
    """Spec 5.3: a child's entry, its id and the digest of its kind, revision and metadata."""
    kind, revision = child.get("kind"), child.get("revision")
    if kind not in ("folder", "file") or (kind == "file") != isinstance(revision, dict):
        raise CofferError("BAD_ARGUMENT", "a file names its revision {number, header}, a folder none")
    child_id = child.get("id")
    if not isinstance(child_id, str) or not _LOWER_UUID.fullmatch(child_id):
        raise CofferError("BAD_ARGUMENT", f"a child's id is a lower-case UUID, got {child_id!r}")
    header_digest = hashlib.sha256(b64decode(revision["header"], "header")).digest() if revision else b""
    metadata = b64decode(child.get("encryptedMetadata"), "encryptedMetadata")
    state = b"".join(field(f) for f in [bytes.fromhex(child_id.replace("-", "")), kind.encode(),
                                         struct.pack(">I", revision["number"] if revision else 0), header_digest,
                                         hashlib.sha256(metadata).digest()])
    return {"id": child_id, "digest": base64.urlsafe_b64encode(hashlib.sha256(state).digest()).decode()}


def verify_folder_manifest(signed_folder: dict, writer_spki: bytes) -> dict:
    """Spec 5.3: the writer's key signed this manifest of this folder of this owner."""
    def malformed(what):
        return CofferError("FOLDER_MANIFEST_MALFORMED", f"a folder manifest's {what}")

    folder = signed_folder if isinstance(signed_folder, dict) else {}
    manifest = folder.get("manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("children"), list):
        raise malformed("input is {folderId, ownerId, manifest: {version, writerId, children, signature}}")
    version, signature = _signed_version(manifest, malformed)

    def bad_argument(message):
        return CofferError("BAD_ARGUMENT", f"the folder's {message}")

    entries = []
    for entry in manifest["children"]:
        entry = entry if isinstance(entry, dict) else {}
        try:
            digest = b64decode(entry.get("digest"), "digest")
        except CofferError:
            digest = b""
        if len(digest) != 32:
            raise malformed(f"entry digest is 32 bytes in base64url, got {entry.get('digest')!r}")
        entries.append((_lower_uuid_bytes(entry.get("id"), "entry id", malformed), digest))
    entries.sort()
    if any(a[0] == b[0] for a, b in zip(entries, entries[1:])):
        raise malformed("entries name each child once")
    children = hashlib.sha256(struct.pack(">I", len(entries)) + b"".join(i + d for i, d in entries)).digest()
    fields = [_lower_uuid_bytes(folder.get("folderId"), "folderId", bad_argument),
              _lower_uuid_bytes(folder.get("ownerId"), "ownerId", bad_argument),
              _lower_uuid_bytes(manifest.get("writerId"), "writer", malformed), struct.pack(">I", version), children]
    signed = LABEL_FOLDER_MANIFEST + b"\x00" + bytes([FOLDER_MANIFEST_VERSION]) + b"".join(field(f) for f in fields)
    if not _p256_verifies(writer_spki, signature, signed):
        raise CofferError("FOLDER_MANIFEST_INVALID", "the folder manifest does not verify with the writer's key")
    return {"signedBytes": signed.hex(), "folderId": folder["folderId"], "version": version,
            "writerId": manifest["writerId"], "children": sorted(entry["id"] for entry in manifest["children"])}


def verify_editor_roster(signed_folder: dict, owner_spki: bytes) -> dict:
    """Spec 5.4: the owner's key signed this roster of the editors of this folder."""
    def malformed(what):
        return CofferError("EDITOR_ROSTER_MALFORMED", f"an editor roster's {what}")

    folder = signed_folder if isinstance(signed_folder, dict) else {}
    roster = folder.get("roster")
    if not isinstance(roster, dict) or not isinstance(roster.get("editors"), list):
        raise malformed("input is {folderId, ownerId, roster: {version, editors, signature}}")
    version, signature = _signed_version(roster, malformed)

    editors = []
    for editor in roster["editors"]:
        editor = editor if isinstance(editor, dict) else {}
        try:
            key = b64decode(editor.get("signingKey"), "signingKey")
        except CofferError:
            key = b""
        if not 1 <= len(key) <= 512:
            raise malformed(f"editor signing key is 1 to 512 bytes in base64url, got {editor.get('signingKey')!r}")
        editors.append((_lower_uuid_bytes(editor.get("id"), "editor id", malformed), key))
    editors.sort()
    if any(a[0] == b[0] for a, b in zip(editors, editors[1:])):
        raise malformed("editors name each account once")
    listed = hashlib.sha256(struct.pack(">I", len(editors)) + b"".join(i + field(k) for i, k in editors)).digest()
    fields = [_lower_uuid_bytes(folder.get("folderId"), "folderId", malformed),
              _lower_uuid_bytes(folder.get("ownerId"), "ownerId", malformed), struct.pack(">I", version), listed]
    signed = LABEL_FOLDER_EDITORS + b"\x00" + bytes([EDITOR_ROSTER_VERSION]) + b"".join(field(f) for f in fields)
    if not _p256_verifies(owner_spki, signature, signed):
        raise CofferError("EDITOR_ROSTER_INVALID", "the editor roster does not verify with the owner's key")
    return {"signedBytes": signed.hex(), "folderId": folder["folderId"], "version": version,
            "editors": sorted(editor["id"] for editor in roster["editors"])}


_CREDENTIAL_ID = re.compile(r"[A-Za-z0-9_-]{1,1366}")


def canonical_key_set(key_set: dict) -> bytes:
    """Spec 4.8: the statement's one form: fields in order, passkeys sorted by credential id, no white space."""
    ordered = {
        "accountId": key_set["accountId"],
        "version": key_set["version"],
        "publicKeys": {"sharing": key_set["publicKeys"]["sharing"], "signing": key_set["publicKeys"]["signing"]},
        "passkeys": [{"credentialId": p["credentialId"], "wrapDigest": p["wrapDigest"]}
                     for p in sorted(key_set["passkeys"], key=lambda p: p["credentialId"].encode())],
        "passphraseWrapDigest": key_set["passphraseWrapDigest"],
        "recoveryWrapDigest": key_set["recoveryWrapDigest"],
    }
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_key_set_fields(key_set) -> None:
    def malformed(what):
        return CofferError("KEY_SET_MALFORMED", f"the key set is not well formed: {what}")

    def sized(text, length):
        if not isinstance(text, str) or text.endswith("="):
            return False
        try:
            return len(b64decode(text, "a key set field")) == length
        except CofferError:
            return False

    if not isinstance(key_set, dict):
        raise malformed("its statement is not a JSON object")
    if not isinstance(key_set.get("accountId"), str) or not _LOWER_UUID.fullmatch(key_set["accountId"]):
        raise malformed("its accountId is not a lowercase UUID")
    version = key_set.get("version")
    if type(version) is not int or not 1 <= version <= 2**31 - 1:
        raise malformed(f"its version is a whole number from 1 to 2^31-1, got {version!r}")
    keys = key_set.get("publicKeys")
    if not isinstance(keys, dict) or not sized(keys.get("sharing"), 91) or not sized(keys.get("signing"), 91):
        raise malformed("its publicKeys are a sharing and a signing key of 91 bytes")
    passkeys = key_set.get("passkeys")
    if not isinstance(passkeys, list):
        raise malformed("its passkeys are not a list")
    for passkey in passkeys:
        if not isinstance(passkey, dict) or not isinstance(passkey.get("credentialId"), str) \
                or not _CREDENTIAL_ID.fullmatch(passkey["credentialId"]):
            raise malformed("a passkey has no credentialId in base64url")
        if passkey.get("wrapDigest") is not None and not sized(passkey["wrapDigest"], 32):
            raise malformed("a passkey wrapDigest is not a SHA-256 digest or null")
    if len({p["credentialId"] for p in passkeys}) != len(passkeys):
        raise malformed("it names a passkey twice")
    for name in ("passphraseWrapDigest", "recoveryWrapDigest"):
        if key_set.get(name) is not None and not sized(key_set[name], 32):
            raise malformed(f"its {name} is a SHA-256 digest or null")


def verify_key_set(signed: dict, account_id: str, signing_spki: bytes) -> dict:
    """Spec 4.8: the account's signing key signed this key set, in canonical form, for this account."""
    if not isinstance(signed, dict):
        raise CofferError("KEY_SET_MALFORMED", "a signed key set is {statement, signature}")
    try:
        statement = b64decode(signed.get("statement"), "statement")
        signature = b64decode(signed.get("signature"), "signature")
    except (CofferError, TypeError, AttributeError):
        raise CofferError("KEY_SET_MALFORMED", "the key set's statement and signature are base64url") from None
    if len(signature) != 64:
        raise CofferError("KEY_SET_MALFORMED", f"the key set's signature is 64 bytes (r || s), got {len(signature)}")
    try:
        key_set = json.loads(statement.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CofferError("KEY_SET_MALFORMED", "the key set's statement is not UTF-8 JSON") from None
    _check_key_set_fields(key_set)
    if canonical_key_set(key_set) != statement:
        raise CofferError("KEY_SET_MALFORMED", "the key set's statement is not in canonical form")
    signed_bytes = LABEL_KEY_SET + b"\x00" + statement
    if not _p256_verifies(signing_spki, signature, signed_bytes):
        raise CofferError("KEY_SET_INVALID", "the key set is not signed by this account's signing key")
    if key_set["accountId"] != account_id:
        raise CofferError("KEY_SET_INVALID", "the key set names another account than the one it is read for")
    return {"keySet": key_set, "signedBytes": signed_bytes.hex()}


def link_keys(secret_text: str, link_id: str, password, cost) -> tuple:
    """Spec 4.4: (wrapping_secret, access_token) from the secret and optional password."""
    secret = b64decode(secret_text, "the link's secret") if not secret_text.endswith("=") else b""
    if len(secret) != 32:
        raise CofferError("LINK_MALFORMED", "a link's secret is 43 characters of unpadded base64url")
    if not _LINK_ID.fullmatch(link_id):
        raise CofferError("LINK_MALFORMED", "a link id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'")
    salt = link_id.encode("ascii")
    flag, ikm = 0, secret
    if password is not None:
        memory, passes, lanes = cost
        check_argon2id(memory, passes, lanes)
        if not password:
            raise CofferError("BAD_ARGUMENT", "a link password cannot be empty")
        password_salt = HKDF(algorithm=hashes.SHA256(), length=16, salt=salt,
                             info=LABEL_LINK_PASSWORD_SALT).derive(secret)
        stretched = argon2id(unicodedata.normalize("NFC", password).encode("utf-8"), password_salt,
                             memory, passes, lanes)
        flag, ikm = 1, secret + stretched
    info = b"\x00" + bytes([flag])
    return hkdf32(ikm, salt, LABEL_LINK_WRAP + info), hkdf32(ikm, salt, LABEL_LINK_ACCESS + info)


def parse_link_fragment(fragment: str) -> tuple:
    """Spec 4.4: (secret, with_password) from a link's fragment, the secret then ".p" for a password link."""
    with_password = fragment.endswith(LINK_PASSWORD_MARK)
    return (fragment[:-len(LINK_PASSWORD_MARK)] if with_password else fragment), with_password


def open_link(wrapped: str, fragment: str, link_id: str, password, cost) -> dict:
    """Spec 4.4: derive the keys and open the wrap.

    The fragment, not whoever serves the wrap, says whether the link has a
    password: a password is required for a fragment with the mark, and
    refused for one without.

    The owner, node and kind are read from the wrap's payload, since whoever
    holds only the link may not know them, and printed for the reader to
    compare; the purpose and the link id are checked here.
    """
    secret_text, with_password = parse_link_fragment(fragment)
    if with_password != (password is not None):
        raise CofferError("LINK_PASSWORD_MISMATCH", "the link was made with a password: give it" if with_password
                          else "the link was made without a password, but one was given")
    wrapping_secret, access_token = link_keys(secret_text, link_id, password, cost)
    fields = wrap_payload(wrapping_secret, wrapped)
    parts = fields[2].decode("utf-8", "replace").split(":") if fields else []
    if fields is None or fields[0] != b"link-key" or len(parts) != 3 or parts[2] != link_id:
        raise CofferError("WRAPPED_KEY_INVALID", "wrong password, or the link was altered" if password is not None
                          else "the link does not open without its password, or it was altered")
    return {"ownerId": fields[1].decode("utf-8", "replace"), "nodeId": parts[0], "kind": parts[1],
            "nodeKey": base64.urlsafe_b64encode(fields[3]).decode(),
            "accessTokenHash": hashlib.sha256(access_token).hexdigest()}


def open_request_seal(seal: dict, owner_key, owner_id: str, request_link_id: str, node_id: str) -> dict:
    """Spec 4.5: a file key sealed (4.2) to the owner, bound to the request link and the new file."""
    if not isinstance(seal, dict) or not isinstance(seal.get("wrapped"), str):
        raise CofferError("BAD_ARGUMENT", "a seal is JSON with ephemeralPublicKey and wrapped")
    for name, value in (("owner id", owner_id), ("node id", node_id)):
        if not _LOWER_UUID.fullmatch(value):
            raise CofferError("BAD_ARGUMENT", f"the {name} is a lower-case UUID, got {value!r}")
    if not _LINK_ID.fullmatch(request_link_id):
        raise CofferError("LINK_MALFORMED", "a link id is 1 to 64 characters of A-Z, a-z, 0-9, '-' and '_'")
    ephemeral = b64decode(seal.get("ephemeralPublicKey"), "the ephemeral public key")
    file_key = open_seal(LABEL_REQUEST_SEAL, owner_key, ephemeral, seal["wrapped"],
                         "request-file-key", owner_id, f"{node_id}:{request_link_id}")
    return {"fileKey": base64.urlsafe_b64encode(file_key).decode()}


# --- The account layer (spec 4.1 and 4.7) ------------------------------------

LABEL_PRF_INPUT = b"coffer/v1/prf/input"
LABEL_PRF_WRAP = b"coffer/v1/prf/wrap"
LABEL_RECOVERY_WRAP = b"coffer/v1/recovery/wrap"
LABEL_RECOVERY_VERIFIER = b"coffer/v1/recovery/verifier"
LABEL_FINGERPRINT = b"coffer/v1/fingerprint"
PBKDF2_ITERATIONS = (600000, 10000000)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_CODE_CHARS = 52


def prf_input() -> bytes:
    """Spec 4.7: what every passkey is asked to evaluate its PRF on."""
    return hashlib.sha256(LABEL_PRF_INPUT).digest()


def prf_wrapping_secret(prf_output: bytes, salt: bytes) -> bytes:
    if len(prf_output) != 32:
        raise CofferError("BAD_ARGUMENT", f"a PRF output is 32 bytes, got {len(prf_output)}")
    return hkdf32(prf_output, salt, LABEL_PRF_WRAP)


def format_recovery_code(key: bytes) -> str:
    """Spec 4.7: 256 bits as 52 characters of Crockford's base32, most significant bit first, in groups of four."""
    value = int.from_bytes(key, "big") << 4  # 260 bits: four zero bits after the key
    chars = "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(RECOVERY_CODE_CHARS)))
    return "-".join(chars[i:i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4))


def parse_recovery_code(text: str) -> bytes:
    """Spec 4.7: any case, whitespace and dashes ignored, O read as 0 and I or L as 1; the last 4 bits are ignored."""
    clean = "".join(char for char in text.upper() if char not in NAME_WHITE_SPACE + "-").replace("O", "0")
    clean = clean.replace("I", "1").replace("L", "1")
    if len(clean) != RECOVERY_CODE_CHARS or any(char not in CROCKFORD for char in clean):
        raise CofferError("BAD_RECOVERY_CODE", f"a recovery code is {RECOVERY_CODE_CHARS} letters and digits "
                          f"(dashes and spaces optional); this one has {len(clean)}")
    value = 0
    for char in clean:
        value = (value << 5) | CROCKFORD.index(char)
    return (value >> 4).to_bytes(32, "big")


def recovery_wrapping_secret(recovery_key: bytes, salt: bytes) -> bytes:
    return hkdf32(recovery_key, salt, LABEL_RECOVERY_WRAP)


def recovery_verifier(recovery_key: bytes) -> bytes:
    return hkdf32(recovery_key, b"", LABEL_RECOVERY_VERIFIER)


def whole(value):
    """A JSON number that is a whole number, as an int (JSON's 65536.0 is JavaScript's 65536); anything else as is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def passphrase_wrapping_secret(passphrase: str, params: dict) -> bytes:
    """Spec 4.1: the parameters are checked before any work, then the KDF runs on the NFC passphrase."""
    if not isinstance(params, dict):
        raise CofferError("WEAK_PARAMETERS", "the passphrase parameters are missing")
    if not isinstance(params.get("salt"), str):
        raise CofferError("WEAK_PARAMETERS", "the salt is missing")
    salt = b64decode(params["salt"], "the salt")
    if len(salt) != 16:
        raise CofferError("WEAK_PARAMETERS", f"the salt is 16 bytes, got {len(salt)}")
    data = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    if params.get("kdf") == "Argon2id":
        memory, passes, lanes = (whole(params.get(name)) for name in ("memoryKiB", "passes", "parallelism"))
        check_argon2id(memory, passes, lanes)
        return argon2id(data, salt, memory, passes, lanes)
    if params.get("kdf") == "PBKDF2-SHA256":
        iterations = whole(params.get("iterations"))
        check_range("PBKDF2 iterations", iterations, *PBKDF2_ITERATIONS)
        return hashlib.pbkdf2_hmac("sha256", data, salt, iterations, 32)
    raise CofferError("WEAK_PARAMETERS", f"unknown passphrase KDF {params.get('kdf')!r}")


def fingerprint(sharing_spki: bytes, signing_spki: bytes) -> bytes:
    """Spec 4.5."""
    return hashlib.sha256(LABEL_FINGERPRINT + field(sharing_spki) + field(signing_spki)).digest()


def load_private_key(pkcs8: bytes):
    """Spec 4.7: a P-256 private key in PKCS#8 DER."""
    try:
        key = serialization.load_der_private_key(pkcs8, password=None)
    except (ValueError, TypeError):
        raise CofferError("BAD_KEY", "the private key is not PKCS#8") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise CofferError("BAD_KEY", "the private key is not a P-256 key")
    return key


def open_account(bundle: dict, recovery_code=None, passphrase=None) -> dict:
    """Spec 4.7: the master key from the recovery code or the passphrase, then the private keys under it.

    The published public keys are accepted only if they are the public halves of the private keys.
    """
    user_id = bundle.get("userId")
    if not isinstance(user_id, str) or not _LOWER_UUID.fullmatch(user_id):
        raise CofferError("BAD_ARGUMENT", f"the bundle's userId is a lower-case UUID, got {user_id!r}")
    if recovery_code is not None:
        wrap = bundle.get("recoveryWrap")
        if not isinstance(wrap, dict):
            raise CofferError("WRAPPED_KEY_INVALID", "the bundle has no recovery wrap")
        secret = recovery_wrapping_secret(parse_recovery_code(recovery_code), b64decode(wrap.get("salt"), "the salt"))
        master_key = unwrap(secret, wrap.get("wrapped", ""), "master-key", user_id, "recovery")
    elif passphrase is not None:
        wrap = bundle.get("passphraseWrap")
        if not isinstance(wrap, dict):
            raise CofferError("WRAPPED_KEY_INVALID", "the bundle has no passphrase wrap")
        secret = passphrase_wrapping_secret(passphrase, wrap)
        master_key = unwrap(secret, wrap.get("wrapped", ""), "master-key", user_id, "passphrase")
    else:
        raise CofferError("BAD_ARGUMENT", "open the account with a recovery code or a passphrase")
    result = {"userId": user_id, "masterKey": base64.urlsafe_b64encode(master_key).decode()}
    spkis = []
    for purpose in ("sharing", "signing"):
        wrapped = (bundle.get("privateKeys") or {}).get(purpose)
        if not isinstance(wrapped, str):
            raise CofferError("WRAPPED_KEY_INVALID", f"the bundle has no wrapped {purpose} private key")
        pkcs8 = unwrap(master_key, wrapped, f"{purpose}-private-key", user_id, user_id)
        public = spki(load_private_key(pkcs8).public_key())
        published = (bundle.get("publicKeys") or {}).get(purpose)
        if published is None or b64decode(published, f"the {purpose} public key") != public:
            raise CofferError("PUBLIC_KEY_MISMATCH", f"the published {purpose} public key is not the private key's")
        spkis.append(public)
        result[f"{purpose}PrivateKey"] = base64.urlsafe_b64encode(pkcs8).decode().rstrip("=")
        result[f"{purpose}PublicKey"] = base64.urlsafe_b64encode(public).decode().rstrip("=")
    result["fingerprint"] = base64.urlsafe_b64encode(fingerprint(*spkis)).decode().rstrip("=")
    return result


def open_sealed_text(key: bytes, sealed: str, purpose: str, owner: str, obj: str) -> str:
    """Spec 4: a text sealed like a key; text that is not UTF-8 is refused like any other failure."""
    try:
        return unwrap(key, sealed, purpose, owner, obj).decode("utf-8")
    except UnicodeDecodeError:
        raise CofferError("WRAPPED_KEY_INVALID", "the sealed text is not UTF-8") from None


# The account's lists kept as sealed texts (spec 4), by purpose: the key of their entries in the JSON.
SEALED_LISTS = {"contacts": "contacts", "accepted-shares": "shares"}


def sealed_list_revision(purpose: str, text: str) -> int:
    """Spec 4: the revision sealed with the contacts or the accepted shares; 0 for a list sealed before revisions
    ("version":1). A client refuses a copy of a lower revision than the highest it opened, or none once it opened one."""
    try:
        parsed = json.loads(text)
    except ValueError:
        raise CofferError("SEALED_LIST_INVALID", f"the {purpose} list is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get(SEALED_LISTS[purpose]), list):
        raise CofferError("SEALED_LIST_INVALID", f"the {purpose} list has no {SEALED_LISTS[purpose]!r} array")
    version, revision = parsed.get("version"), parsed.get("revision")
    if version == 1 and type(version) is int:
        return 0
    if version == 2 and type(version) is int and type(revision) is int and 1 <= revision <= 2**53 - 1:
        return revision
    raise CofferError("SEALED_LIST_INVALID",
                      f"the {purpose} list is version {version!r} with revision {revision!r}; expected version 1, "
                      "or version 2 with a whole revision of at least 1")


# --- Node metadata and thumbnails (spec 5 and 5.1) ----------------------------

LABEL_METADATA = b"coffer/v1/metadata"
LABEL_THUMBNAIL = b"coffer/v1/thumbnail"
METADATA_FIELDS = {"folder": ("name",), "file": ("name", "type", "size", "modified", "revision")}
MAX_SAFE_INTEGER = 2 ** 53 - 1
MAX_REVISION = 2 ** 32 - 1
# Invisible characters that change how the text around them is shown: C0 controls, DEL and C1 controls, and the
# bidirectional embeddings, overrides and isolates ("invoice\u202efdp.exe" shows as "invoiceexe.pdf").
FORBIDDEN_IN_NAMES = re.compile("[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def uuid_bytes(text: str) -> bytes:
    if not isinstance(text, str) or not _UUID.fullmatch(text):
        raise CofferError("BAD_ARGUMENT", f"expected a UUID, got {text!r}")
    return bytes.fromhex(text.replace("-", ""))


def metadata_key(node_key: bytes, kind: str, node_id: str, parent_id) -> bytes:
    """Spec 5: kind 0x01 folder, 0x02 file; the root's parent is sixteen zero bytes."""
    if kind not in METADATA_FIELDS:
        raise CofferError("BAD_ARGUMENT", f"kind is folder or file, got {kind!r}")
    if parent_id is None and kind != "folder":
        raise CofferError("BAD_ARGUMENT", "only a folder can be the root")
    parent = bytes(16) if parent_id is None else uuid_bytes(parent_id)
    info = LABEL_METADATA + b"\x00" + (b"\x01" if kind == "folder" else b"\x02") + uuid_bytes(node_id) + parent
    return hkdf32(node_key, b"", info)


def name_problem(name: str):
    """Spec 5: why a name is refused, or None."""
    if name.strip(NAME_WHITE_SPACE) == "":
        return "a name cannot be empty or only white space"
    if name.strip(NAME_WHITE_SPACE) != name:
        return "a name cannot begin or end with white space"
    if name in (".", ".."):
        return f"{name!r} cannot be a name"
    if any(char in name for char in "/\\"):
        return 'a name cannot contain "/" or "\\"'
    forbidden = FORBIDDEN_IN_NAMES.search(name)
    if forbidden:
        return f"the name contains an invisible control character (U+{ord(forbidden[0]):04X})"
    lone = LONE_SURROGATE.search(name)
    if lone:
        return f"the name contains an unpaired UTF-16 surrogate (U+{ord(lone[0]):04X})"
    if len(name.encode("utf-8")) > 255:
        return "a name is at most 255 bytes of UTF-8"
    return None


class DuplicateKey(ValueError):
    pass


def _refuse_duplicate_keys(pairs):
    """Spec 5: a key given twice is refused (JSON.parse would keep the last, other parsers the first)."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise DuplicateKey("a key is given twice")
    return dict(pairs)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_metadata(kind: str, plaintext: bytes) -> dict:
    """Spec 5, "What a reader accepts": UTF-8 (a byte order mark is not JSON white space), one JSON object with
    exactly the kind's fields. Numbers are read as IEEE 754 doubles, as JavaScript does; every failure is METADATA_INVALID.
    """
    def invalid(why):
        return CofferError("METADATA_INVALID", f"metadata does not belong to this node or is not well formed ({why})")

    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("not UTF-8") from None
    try:
        value = json.loads(text, parse_int=float, parse_float=float, parse_constant=_refuse_constant,
                           object_pairs_hook=_refuse_duplicate_keys)
    except DuplicateKey as error:
        raise invalid(str(error)) from None
    except (ValueError, RecursionError):
        raise invalid("not JSON") from None
    fields = METADATA_FIELDS[kind]
    if not isinstance(value, dict) or set(value) != set(fields):
        raise invalid(f"a {kind}'s fields are exactly {', '.join(fields)}")
    name = value["name"]
    if not isinstance(name, str) or name_problem(name) is not None:
        raise invalid(name_problem(name) if isinstance(name, str) else "the name is not a string")
    if kind == "folder":
        return {"name": name}
    media_type = value["type"]
    if not isinstance(media_type, str) or len(media_type.encode("utf-16-le", "surrogatepass")) // 2 > 255:
        raise invalid("the type is a string of at most 255 UTF-16 code units")
    out = {"name": name, "type": media_type}
    for key, most in (("size", MAX_SAFE_INTEGER), ("modified", MAX_SAFE_INTEGER), ("revision", MAX_REVISION)):
        number = value[key]
        if type(number) is not float or not number.is_integer() or not 0 <= number <= most:
            raise invalid(f"{key} is a whole number from 0 to {most}")
        out[key] = int(number)
    return out


def metadata_plaintext(kind: str, metadata: dict) -> bytes:
    """Spec 5, "What a writer writes": JSON without white space, fields in order, padded with spaces to 64 bytes."""
    ordered = {key: metadata[key] for key in METADATA_FIELDS[kind]}
    data = json.dumps(ordered, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return data + b" " * (-len(data) % 64)


def open_metadata(node_key: bytes, kind: str, node_id: str, parent_id, token: bytes) -> dict:
    """Spec 5: the token under the metadata key of this place, then the parse."""
    fernet = Fernet(base64.urlsafe_b64encode(metadata_key(node_key, kind, node_id, parent_id)))
    plaintext = try_decrypt(fernet, token)
    if plaintext is None:
        raise CofferError("METADATA_INVALID", "metadata failed authentication or does not belong to this node")
    return parse_metadata(kind, plaintext)


def thumbnail_key(file_key: bytes, file_id: str, revision: int) -> bytes:
    """Spec 5.1."""
    return hkdf32(file_key, b"", LABEL_THUMBNAIL + b"\x00" + uuid_bytes(file_id) + struct.pack(">I", revision))


def open_thumbnail(file_key: bytes, file_id: str, revision: int, token: bytes) -> bytes:
    image = try_decrypt(Fernet(base64.urlsafe_b64encode(thumbnail_key(file_key, file_id, revision))), token)
    if image is None:
        raise CofferError("THUMBNAIL_INVALID", "thumbnail failed authentication or belongs to another file")
    return image


def parse_cost(text: str) -> tuple:
    if not re.fullmatch(r"[0-9]+,[0-9]+,[0-9]+", text):
        raise argparse.ArgumentTypeError("expected memoryKiB,passes,parallelism, e.g. 65536,3,1")
    return tuple(int(part) for part in text.split(","))


LABEL_REQUEST_MESSAGE = b"coffer/v1/request/message"


def verify_request_terms(terms: dict, signing_spki: bytes) -> dict:
    """Checks the owner's signature over a request link's terms (spec 4.5): the
    label, then the link, owner and folder ids (16 bytes each) and the message,
    each with a u16 length before it."""
    try:
        ids = [bytes.fromhex(terms[name].replace("-", "")) for name in ("requestLinkId", "ownerId", "folderId")]
        message = terms["message"].encode("utf-8")
        signature = b64decode(terms["signature"], "signature")
    except (KeyError, AttributeError, ValueError):
        raise CofferError("REQUEST_MESSAGE_INVALID", "the terms are requestLinkId, ownerId, folderId, message and signature") from None
    if any(len(i) != 16 for i in ids) or len(signature) != 64:
        raise CofferError("REQUEST_MESSAGE_INVALID", "ids are UUIDs and the signature 64 bytes (r || s)")
    signed = LABEL_REQUEST_MESSAGE + b"".join(len(f).to_bytes(2, "big") + f for f in [*ids, message])
    try:
        owner = serialization.load_der_public_key(signing_spki)
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        owner.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        raise CofferError("REQUEST_MESSAGE_INVALID",
                          "the owner's signature does not verify over these terms") from None
    return {"verified": True, "message": terms["message"]}


# --- Encrypted export archive (spec 7) ---------------------------------------

LABEL_EXPORT_MANIFEST = b"coffer/v1/export/manifest"
EXPORT_VERSION = 1
EXPORT_ACCOUNT = "account.json"
EXPORT_NODES = "nodes.json"
EXPORT_MANIFEST = "manifest"
EXPORT_STREAM_PREFIX = "streams/"
HASH_PIECE = 1 << 20


def export_invalid(why: str) -> CofferError:
    return CofferError("EXPORT_INVALID", f"this is not an intact Coffer export archive: {why}")


def unique_name(name: str, taken: set) -> str:
    """Spec 7: a name already taken in its folder becomes "base (2).ext", "base (3).ext"... (the last '.' not first)."""
    dot = name.rfind(".")
    base, extension = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{base} ({n}){extension}", n + 1
    taken.add(candidate)
    return candidate


def _export_json(archive, name: str):
    try:
        return json.loads(archive.read(name).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise export_invalid(f'its "{name}" is not JSON') from None


def _entry_sha256(archive, name: str) -> str:
    digest = hashlib.sha256()
    with archive.open(name) as entry:
        for piece in iter(lambda: entry.read(HASH_PIECE), b""):
            digest.update(piece)
    return digest.hexdigest()


def open_export_archive(path: str, recovery_code: str, out_dir: str) -> dict:
    """Spec 7, in its order: master key, manifest, every entry's size and SHA-256, then the tree into a new directory.

    The tree is written into a hidden sibling of out_dir and renamed to out_dir only once every file authenticated;
    on any failure the sibling is removed, so nothing half-written is left.
    """
    import shutil
    import zipfile

    recovery_key = parse_recovery_code(recovery_code)
    if os.path.lexists(out_dir):
        raise CofferError("BAD_ARGUMENT", f"{out_dir} already exists; give a directory that does not exist yet")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise export_invalid("it is not a zip file") from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise export_invalid("it holds an entry twice")
        if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
            raise export_invalid("an entry is not stored as is")
        if EXPORT_ACCOUNT not in names or EXPORT_MANIFEST not in names:
            raise export_invalid(f'it lacks its "{EXPORT_ACCOUNT}" or "{EXPORT_MANIFEST}" entry')
        account = _export_json(archive, EXPORT_ACCOUNT)
        user_id = account.get("userId") if isinstance(account, dict) else None
        if account.get("version") != EXPORT_VERSION or not isinstance(user_id, str) or not _LOWER_UUID.fullmatch(user_id):
            raise export_invalid(f'its "{EXPORT_ACCOUNT}" is not a version {EXPORT_VERSION} account record')
        try:
            wrap = account["recoveryWrap"]
            secret = recovery_wrapping_secret(recovery_key, b64decode(wrap["salt"], "the salt"))
            master_key = unwrap(secret, wrap["wrapped"], "master-key", user_id, "recovery")
        except (CofferError, KeyError, TypeError):
            raise CofferError("EXPORT_LOCKED", "the recovery code does not open this archive: it is not the code the "
                              "account had when the archive was made, or the archive was altered") from None

        manifest_key = hkdf32(master_key, b"", LABEL_EXPORT_MANIFEST)
        try:
            token = archive.read(EXPORT_MANIFEST).decode("ascii").strip()
            manifest = json.loads(Fernet(base64.urlsafe_b64encode(manifest_key)).decrypt(token).decode("utf-8"))
        except (InvalidToken, ValueError, UnicodeDecodeError):
            raise export_invalid("its manifest does not authenticate under the account key") from None
        entries = manifest.get("entries") if isinstance(manifest, dict) else None
        if (manifest.get("version") != EXPORT_VERSION or manifest.get("userId") != user_id
                or not isinstance(entries, list) or not all(
                    isinstance(e, dict) and isinstance(e.get("name"), str) and type(e.get("size")) is int
                    and isinstance(e.get("sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", e["sha256"])
                    for e in entries)):
            raise export_invalid(f"its manifest is not a version {EXPORT_VERSION} manifest of account {user_id}")
        listed = {entry["name"] for entry in entries}
        if len(listed) != len(entries) or EXPORT_MANIFEST in listed:
            raise export_invalid("its manifest lists an entry twice")
        for name in names:
            if name != EXPORT_MANIFEST and name not in listed:
                raise export_invalid(f'it holds "{name}", which its manifest does not list')
        sizes = {info.filename: info.file_size for info in infos}
        for entry in entries:
            if entry["name"] not in sizes:
                raise export_invalid(f'it lacks "{entry["name"]}", which its manifest lists')
            if sizes[entry["name"]] != entry["size"] or _entry_sha256(archive, entry["name"]) != entry["sha256"]:
                raise export_invalid(f'its entry "{entry["name"]}" is not the one its manifest lists')
        if EXPORT_NODES not in listed:
            raise export_invalid(f'its manifest lists no "{EXPORT_NODES}"')

        tree = _export_json(archive, EXPORT_NODES)
        parent_dir = os.path.dirname(os.path.abspath(out_dir))
        temporary = os.path.join(parent_dir, f".{os.path.basename(os.path.abspath(out_dir))}.{os.getpid()}.partial")
        os.mkdir(temporary)
        try:
            counts = _open_export_tree(archive, names, tree, user_id, master_key, temporary)
            os.rename(temporary, out_dir)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    return {"userId": user_id, "out": out_dir, **counts}


def _open_export_tree(archive, names, tree, user_id: str, master_key: bytes, root_dir: str) -> dict:
    if not isinstance(tree, dict) or tree.get("version") != EXPORT_VERSION or not isinstance(tree.get("nodes"), list):
        raise export_invalid(f'its "{EXPORT_NODES}" is not a version {EXPORT_VERSION} tree')
    root_id = tree.get("rootId")
    folders = {}  # id -> (key, relative path parts, names taken)
    streams = set()
    files = 0
    for node in tree["nodes"]:
        ok = (isinstance(node, dict) and isinstance(node.get("id"), str) and _LOWER_UUID.fullmatch(node["id"])
              and node.get("kind") in ("folder", "file") and isinstance(node.get("wrappedKey"), str)
              and isinstance(node.get("encryptedMetadata"), str)
              and (node.get("revision") is None or (type(node.get("revision")) is int and node["kind"] == "file"))
              and (node.get("parentId") is None) == (node["id"] == root_id)
              and (node.get("parentId") is not None or node["kind"] == "folder"))
        if not ok:
            raise export_invalid(f"its tree holds a node that is not well formed ({node.get('id') if isinstance(node, dict) else None!r})")
        node_id, parent_id, kind = node["id"], node["parentId"], node["kind"]
        if node_id in folders:
            raise export_invalid(f"its tree gives node {node_id} twice")
        parent = folders.get(parent_id) if parent_id is not None else None
        if parent_id is not None and parent is None:
            raise export_invalid(f"node {node_id} comes before its folder, or its folder is not in the tree")
        purpose = "folder-key" if kind == "folder" else "file-key"
        key = unwrap(parent[0] if parent else master_key, node["wrappedKey"], purpose, user_id, node_id)
        metadata = open_metadata(key, kind, node_id, parent_id, b64decode(node["encryptedMetadata"], "the metadata"))
        if kind == "folder":
            path = parent[1] + [unique_name(metadata["name"], parent[2])] if parent else []
            folders[node_id] = (key, path, set())
            if parent:
                os.mkdir(os.path.join(root_dir, *path))
            continue
        if node["revision"] is None:
            continue
        if metadata["revision"] != node["revision"]:
            raise export_invalid(f"file {node_id}'s details describe version {metadata['revision']}, "
                                 f"not {node['revision']}")
        name = EXPORT_STREAM_PREFIX + node_id
        if name not in names:
            raise export_invalid(f"it lacks the content of file {node_id}")
        streams.add(name)
        target = os.path.join(root_dir, *parent[1], unique_name(metadata["name"], parent[2]))
        with archive.open(name) as source, open(target, "xb") as out:
            decrypt_stream(source, out, key, uuid_bytes(node_id), node["revision"])
            written = out.tell()
        if written != metadata["size"]:
            raise export_invalid(f"file {node_id} holds {written} bytes, its details say {metadata['size']}")
        os.utime(target, ns=(metadata["modified"] * 1_000_000, metadata["modified"] * 1_000_000))
        files += 1
    if root_id not in folders:
        raise export_invalid("its tree has no root folder")
    for name in names:
        if name.startswith(EXPORT_STREAM_PREFIX) and name not in streams:
            raise export_invalid(f'"{name}" belongs to no file')
    return {"folders": len(folders) - 1, "files": files}


def export_main(argv) -> int:
    parser = argparse.ArgumentParser(prog="coffer_decrypt export-open",
                                     description="Open an encrypted export archive (spec 7) with the recovery code "
                                                 "into a new directory.")
    parser.add_argument("archive")
    way = parser.add_mutually_exclusive_group(required=True)
    way.add_argument("--recovery-code-file", help="file holding the recovery code, or - for stdin")
    way.add_argument("--recovery-code", help="the recovery code itself (other users of the machine may see it)")
    parser.add_argument("out_dir")
    args = parser.parse_args(argv)
    import zipfile
    try:
        try:
            if args.recovery_code_file == "-":
                recovery_code = sys.stdin.read().strip()
            elif args.recovery_code_file:
                with open(args.recovery_code_file, encoding="utf-8") as handle:
                    recovery_code = handle.read().strip()
            else:
                recovery_code = args.recovery_code
            result = open_export_archive(args.archive, recovery_code, args.out_dir)
        except zipfile.BadZipFile as e:
            # zipfile checks each entry's CRC-32 as it reads it, before the manifest's hash is compared.
            raise export_invalid(str(e)) from None
    except CofferError as e:
        print(f"coffer_decrypt: {e.code}: {e.message}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"coffer_decrypt: IO_ERROR: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def sharing_main(argv) -> int:
    parser = argparse.ArgumentParser(prog="coffer_decrypt",
                                     description="Open a Coffer grant, share link, request-link seal, account, "
                                                 "node metadata or sealed text; check request terms, an author "
                                                 "signature or a folder manifest.")
    commands = parser.add_subparsers(dest="command", required=True)
    grant = commands.add_parser("open-grant", help="open a grant (spec 4.3) read on stdin as JSON")
    grant.add_argument("--recipient-key", required=True, help="file holding the recipient's sharing private key, JWK")
    grant.add_argument("--sender-key", required=True, help="the sender's signing public key, SPKI in base64url")
    link = commands.add_parser("open-link", help="open a share link's wrap (spec 4.4) read on stdin")
    link.add_argument("--fragment", required=True, help="the link's fragment, after its '#'")
    link.add_argument("--link-id", required=True)
    link.add_argument("--password-file", help="file holding the link's password (UTF-8, without newline)")
    link.add_argument("--argon2id", type=parse_cost, default=ARGON2ID_DEFAULT,
                      help="the link's Argon2id cost as memoryKiB,passes,parallelism (default 65536,3,1)")
    request = commands.add_parser("open-request-seal", help="open a request-link seal (spec 4.5) read on stdin as JSON")
    request.add_argument("--owner-key", required=True, help="file holding the owner's sharing private key, JWK")
    request.add_argument("--owner-id", required=True)
    request.add_argument("--request-link-id", required=True)
    request.add_argument("--node-id", required=True, help="the uploaded file's id")
    account = commands.add_parser("open-account", help="open an account bundle (spec 4.7) read on stdin as JSON")
    way = account.add_mutually_exclusive_group(required=True)
    way.add_argument("--recovery-code-file", help="file holding the recovery code")
    way.add_argument("--passphrase-file", help="file holding the passphrase (UTF-8, without newline)")
    metadata = commands.add_parser("open-metadata", help="open a node's metadata (spec 5) read on stdin, base64url")
    metadata.add_argument("--node-key", required=True, help="the node's key, base64url")
    metadata.add_argument("--kind", required=True, choices=("folder", "file"))
    metadata.add_argument("--node-id", required=True)
    metadata.add_argument("--parent-id", help="the parent folder's id; none for the root folder")
    sealed = commands.add_parser("open-sealed-text", help="open a sealed text (spec 4) read on stdin")
    sealed.add_argument("--key", required=True, help="the key it is sealed under (the master key), base64url")
    sealed.add_argument("--purpose", required=True, choices=("passkey-label", "contacts", "link-label", "accepted-shares"))
    sealed.add_argument("--owner", required=True)
    sealed.add_argument("--object", required=True)
    terms = commands.add_parser("verify-request-terms",
                                help="verify a request link's signed terms (spec 4.5) read on stdin as JSON")
    terms.add_argument("--signing-key", required=True, help="the owner's signing public key, SPKI in base64url")
    author = commands.add_parser("verify-author", help="check a node's author signature (spec 5.2) read on stdin")
    author.add_argument("--author-key", required=True, help="the author's signing public key, SPKI in base64url")
    manifest = commands.add_parser("verify-manifest", help="check a folder manifest (spec 5.3) read on stdin")
    manifest.add_argument("--writer-key", required=True, help="the writer's signing public key, SPKI in base64url")
    roster = commands.add_parser("verify-roster", help="check a folder's editor roster (spec 5.4) read on stdin")
    roster.add_argument("--owner-key", required=True, help="the owner's signing public key, SPKI in base64url")
    key_set = commands.add_parser("verify-key-set", help="check an account's signed key set (spec 4.8) read on stdin")
    key_set.add_argument("--account-id", required=True)
    key_set.add_argument("--signing-key", required=True, help="the account's signing public key, SPKI in base64url")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read()
        if args.command == "open-account":
            secret_file = args.recovery_code_file or args.passphrase_file
            with open(secret_file, encoding="utf-8") as handle:
                secret = handle.read().removesuffix("\n")
            way = {"recovery_code": secret} if args.recovery_code_file else {"passphrase": secret}
            result = open_account(json.loads(text), **way)
        elif args.command == "open-metadata":
            result = open_metadata(parse_key(args.node_key), args.kind, args.node_id, args.parent_id,
                                   b64decode(text.strip(), "the metadata"))
        elif args.command == "open-sealed-text":
            result = {"text": open_sealed_text(parse_key(args.key), text.strip(), args.purpose, args.owner,
                                               args.object)}
            if args.purpose in SEALED_LISTS:
                result["revision"] = sealed_list_revision(args.purpose, result["text"])
        elif args.command == "verify-request-terms":
            result = verify_request_terms(json.loads(text), b64decode(args.signing_key, "the owner's signing key"))
        elif args.command == "verify-author":
            try:
                signed_node = json.loads(text)
            except ValueError:
                raise CofferError("AUTHOR_SIGNATURE_MALFORMED", "a signed node is JSON") from None
            result = verify_author(signed_node, b64decode(args.author_key, "the author's key"))
        elif args.command == "verify-manifest":
            try:
                signed_folder = json.loads(text)
            except ValueError:
                raise CofferError("FOLDER_MANIFEST_MALFORMED", "a signed folder is JSON") from None
            result = verify_folder_manifest(signed_folder, b64decode(args.writer_key, "the writer's key"))
        elif args.command == "verify-roster":
            try:
                signed_folder = json.loads(text)
            except ValueError:
                raise CofferError("EDITOR_ROSTER_MALFORMED", "a signed roster is JSON") from None
            result = verify_editor_roster(signed_folder, b64decode(args.owner_key, "the owner's key"))
        elif args.command == "verify-key-set":
            try:
                signed_key_set = json.loads(text)
            except ValueError:
                raise CofferError("KEY_SET_MALFORMED", "a signed key set is JSON") from None
            result = verify_key_set(signed_key_set, args.account_id, b64decode(args.signing_key, "the signing key"))
        elif args.command == "open-request-seal":
            with open(args.owner_key, encoding="utf-8") as handle:
                owner = import_jwk_private(json.load(handle))
            result = open_request_seal(json.loads(text), owner, args.owner_id, args.request_link_id, args.node_id)
        elif args.command == "open-grant":
            with open(args.recipient_key, encoding="utf-8") as handle:
                recipient = import_jwk_private(json.load(handle))
            try:
                grant_json = json.loads(text)
            except ValueError:
                raise CofferError("GRANT_MALFORMED", "a grant is JSON") from None
            result = open_grant(grant_json, recipient, b64decode(args.sender_key, "the sender's key"))
        else:
            password = None
            if args.password_file is not None:
                with open(args.password_file, encoding="utf-8") as handle:
                    password = handle.read().removesuffix("\n")
            result = open_link(text.strip(), args.fragment, args.link_id, password, args.argon2id)
    except CofferError as e:
        print(f"coffer_decrypt: {e.code}: {e.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as e:
        print(f"coffer_decrypt: BAD_ARGUMENT: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="coffer_decrypt",
        description="Decrypt a Coffer stream (docs/FORMAT.md section 3) from stdin to stdout.")
    parser.add_argument("--key", required=True, help="the file key, base64url of 32 bytes")
    parser.add_argument("--file-id", type=parse_file_id, help="expected file id (UUID or 32 hex chars)")
    parser.add_argument("--revision", type=parse_revision, help="expected revision number")
    # A base64url key starts with '-' one time in 64, and argparse would take
    # "--key -abc..." for a missing value followed by an option. Glue the value
    # to the flag ("--key=-abc...") so both spellings work.
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["export-open"]:
        return export_main(argv[1:])
    if argv[:1] in (["open-grant"], ["open-link"], ["open-request-seal"], ["open-account"], ["open-metadata"],
                    ["open-sealed-text"], ["verify-request-terms"], ["verify-author"], ["verify-manifest"], ["verify-roster"]):
        return sharing_main(argv)
    for i in range(len(argv) - 1):
        if argv[i] == "--key":
            argv[i:i + 2] = [f"--key={argv[i + 1]}"]
            break
    args = parser.parse_args(argv)

    try:
        file_key = parse_key(args.key)
        decrypt_stream(sys.stdin.buffer, sys.stdout.buffer, file_key, args.file_id, args.revision)
    except CofferError as e:
        print(f"coffer_decrypt: {e.code}: {e.message}", file=sys.stderr)
        return 1
    except OSError as e:
        # Not a format error (e.g. the reader of stdout went away), but still
        # one line and no traceback.
        print(f"coffer_decrypt: IO_ERROR: {e}", file=sys.stderr)
        # Stop the interpreter from retrying the flush of a dead stdout at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
