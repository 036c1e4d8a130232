#!/usr/bin/env python3
"""Independent reference decryptor for the Coffer stream format, version 1.

Written only from docs/FORMAT.md (cited below as "spec"), to show that a file
key plus any Fernet library plus HKDF-SHA256 is enough to get a file back.

Usage:
    python3 tools/coffer_decrypt.py --key <base64url file key>
        [--file-id <uuid or 32 hex chars>] [--revision <n>] < in > out

Reads a Coffer stream (spec section 3) on stdin and writes the plaintext on
stdout, one chunk at a time, in constant memory. On failure it prints one line
`coffer_decrypt: CODE: message` on stderr and exits with status 1. Chunks
written before the failure were each verified, but the output as a whole must
then be treated as incomplete.

Dependencies: the Python standard library and `cryptography`.
"""

import argparse
import base64
import hmac
import os
import re
import struct
import sys

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
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
