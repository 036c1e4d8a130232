#!/usr/bin/env python3
"""Runs every vector of tests/vectors/coffer.json through tools/coffer_decrypt.py.

Usage:
    python3 tools/coffer_check_vectors.py [path to coffer.json]

Each section is checked the way docs/FORMAT.md describes it: what a vector opens
must open to exactly its values (keys, secrets, texts, metadata, images), what it
refuses must be refused with its error, and every token whose IV and timestamp the
vector gives is made again here, byte for byte. Prints one line per mismatch and
exits with status 1 if there was any; otherwise prints how many vectors passed.

Dependencies: those of coffer_decrypt.py.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import struct
import sys
import unicodedata

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.padding import PKCS7

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coffer_decrypt as coffer  # noqa: E402 (beside this file)
from coffer_decrypt import CofferError  # noqa: E402


class Mismatch(Exception):
    pass


def expect(what: str, actual, expected) -> None:
    if actual != expected:
        raise Mismatch(f"{what}: got {actual!r}, expected {expected!r}")


def expect_error(what: str, code: str, work) -> None:
    try:
        result = work()
    except CofferError as error:
        expect(f"{what}: error", error.code, code)
        return
    raise Mismatch(f"{what}: opened to {result!r}, expected {code}")


def b64(text: str) -> bytes:
    return coffer.b64decode(text, "a vector field")


def b64text(data: bytes, padding: bool = True) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if padding else text.rstrip("=")


def fernet_token(key: bytes, plaintext: bytes, iv: bytes, timestamp: int) -> bytes:
    """Spec 2, the encrypting side, with the vector's IV and timestamp: the binary token."""
    padder = PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key[16:]), modes.CBC(iv)).encryptor()
    body = b"\x80" + struct.pack(">Q", timestamp) + iv + encryptor.update(padded) + encryptor.finalize()
    return body + hmac.new(key[:16], body, "sha256").digest()


def wrap_token(secret: bytes, key: bytes, purpose: str, owner: str, obj: str, iv: bytes, timestamp: int) -> str:
    """Spec 4, the wrapping side: the text form of the wrap."""
    payload = b"\x01" + b"".join(coffer.field(part) for part in (purpose.encode(), owner.encode(), obj.encode(), key))
    return b64text(fernet_token(coffer.hkdf32(secret, b"", coffer.LABEL_WRAP), payload, iv, timestamp))


def expect_wrap(what: str, vector_wrapped: str, secret: bytes, key: bytes, binding: tuple, iv_hex: str,
                timestamp: int) -> None:
    """The wrap opens to the key under exactly its binding, and is made again byte for byte."""
    expect(f"{what}: unwrapped", coffer.unwrap(secret, vector_wrapped, *binding), key)
    expect(f"{what}: made again", wrap_token(secret, key, *binding, bytes.fromhex(iv_hex), timestamp), vector_wrapped)


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def check_stream(vector: dict) -> None:
    out = io.BytesIO()
    coffer.decrypt_stream(io.BytesIO(b64(vector["ciphertext"])), out, coffer.parse_key(vector["fileKey"]),
                          bytes.fromhex(vector["fileId"]), vector["revision"])
    expect("plaintext", out.getvalue(), pattern(vector["plaintextSize"]))


def check_wrap(vector: dict) -> None:
    expect_wrap("wrap", vector["wrapped"], b64(vector["wrappingSecret"]), b64(vector["key"]),
                (vector["purpose"], vector["owner"], vector["object"]), vector["iv"], vector["timestamp"])


def check_sealed_text(vector: dict) -> None:
    key = b64(vector["wrappingSecret"])
    binding = (vector["purpose"], vector["owner"], vector["object"])
    expect("text", coffer.open_sealed_text(key, vector["sealed"], *binding), vector["text"])
    expect_wrap("sealed text", vector["sealed"], key, vector["text"].encode(), binding, vector["iv"],
                vector["timestamp"])
    if vector["purpose"] in coffer.SEALED_LISTS:
        expect("list revision", coffer.sealed_list_revision(vector["purpose"], vector["text"]), vector["listRevision"])
    for purpose in ("passkey-label", "contacts", "link-label", "accepted-shares"):
        if purpose != vector["purpose"]:
            expect_error(f"opened as {purpose}", "WRAPPED_KEY_INVALID",
                         lambda: coffer.open_sealed_text(key, vector["sealed"], purpose, *binding[1:]))


def check_passphrase(vector: dict) -> None:
    expect("NFC bytes", unicodedata.normalize("NFC", vector["passphrase"]).encode().hex(),
           vector["passphraseNfcUtf8"])
    secret = coffer.passphrase_wrapping_secret(vector["passphrase"], vector["params"])
    expect("wrapping secret", secret.hex(), vector["wrappingSecret"])
    expect_wrap("master key", vector["wrapped"], secret, b64(vector["masterKey"]),
                (vector["purpose"], vector["owner"], vector["object"]), vector["iv"], vector["timestamp"])


def sealing_secret(label: bytes, ephemeral_jwk: dict, recipient_jwk: dict) -> bytes:
    """Spec 4.2, from the sealer's side: ECDH of the ephemeral private key and the recipient's public key."""
    ephemeral = coffer.import_jwk_private(ephemeral_jwk)
    recipient = coffer.import_jwk_private(recipient_jwk).public_key()
    salt = coffer.field(coffer.spki(ephemeral.public_key())) + coffer.field(coffer.spki(recipient))
    return coffer.hkdf32(ephemeral.exchange(ec.ECDH(), recipient), salt, label)


def check_grant(vector: dict) -> None:
    grant = vector["grant"]
    recipient = coffer.import_jwk_private(vector["recipientSharingKey"])
    sender = coffer.spki(coffer.import_jwk_private(vector["senderSigningKey"]).public_key())
    expect("sealing secret", sealing_secret(coffer.LABEL_GRANT_WRAP, vector["ephemeralKey"],
                                            vector["recipientSharingKey"]).hex(), vector["sealingSecret"])
    ids = [bytes.fromhex(grant[name].replace("-", "")) for name in ("senderId", "recipientId", "ownerId", "nodeId")]
    signed = coffer.grant_signed_bytes(ids, grant["kind"], grant["role"], b64(grant["ephemeralPublicKey"]),
                                       coffer.spki(recipient.public_key()), b64(grant["wrapped"]))
    expect("signed bytes", signed.hex(), vector["signedBytes"])
    opened = coffer.open_grant(grant, recipient, sender)
    expect("node key", opened["nodeKey"], vector["nodeKey"])
    obj = ":".join([grant["nodeId"], grant["kind"], grant["senderId"], grant["recipientId"], grant["role"]])
    expect("wrap made again", wrap_token(bytes.fromhex(vector["sealingSecret"]), b64(vector["nodeKey"]), "share-key",
                                         grant["ownerId"], obj, bytes.fromhex(vector["iv"]), vector["timestamp"]),
           grant["wrapped"])


def check_link(vector: dict) -> None:
    password = vector.get("password")
    cost = tuple(vector["argon2id"][name] for name in ("memoryKiB", "passes", "parallelism")) \
        if password is not None else coffer.ARGON2ID_DEFAULT
    wrapping_secret, access_token = coffer.link_keys(vector["secret"], vector["linkId"], password, cost)
    expect("wrapping secret", wrapping_secret.hex(), vector["wrappingSecret"])
    expect("access token", access_token.hex(), vector["accessToken"])
    expect("access token hash", hashlib.sha256(access_token).hexdigest(), vector["accessTokenHash"])
    if password is not None:
        salt = HKDF(algorithm=hashes.SHA256(), length=16, salt=vector["linkId"].encode(),
                    info=coffer.LABEL_LINK_PASSWORD_SALT).derive(b64(vector["secret"]))
        expect("password salt", b64text(salt, padding=False), vector["passwordSalt"])
    opened = coffer.open_link(vector["wrapped"], vector["fragment"], vector["linkId"], password, cost)
    expect("opened", opened, {"ownerId": vector["ownerId"], "nodeId": vector["nodeId"], "kind": vector["kind"],
                              "nodeKey": vector["nodeKey"], "accessTokenHash": vector["accessTokenHash"]})
    obj = f"{vector['nodeId']}:{vector['kind']}:{vector['linkId']}"
    expect_wrap("link wrap", vector["wrapped"], wrapping_secret, b64(vector["nodeKey"]),
                ("link-key", vector["ownerId"], obj), vector["iv"], vector["timestamp"])


def check_node_author(vector: dict) -> None:
    author = coffer.import_jwk_private(vector["signingKey"])
    verified = coffer.verify_author({"statement": vector["statement"], "authorSignature": vector["authorSignature"]},
                                    coffer.spki(author.public_key()))
    expect("signed bytes", verified["signedBytes"], vector["signedBytes"])


def check_folder_manifest(vector: dict) -> None:
    writer = coffer.import_jwk_private(vector["signingKey"])
    expect("entries", [coffer.manifest_entry(child) for child in vector["children"]], vector["manifest"]["children"])
    signed = {"folderId": vector["folderId"], "ownerId": vector["ownerId"], "manifest": vector["manifest"]}
    verified = coffer.verify_folder_manifest(signed, coffer.spki(writer.public_key()))
    expect("signed bytes", verified["signedBytes"], vector["signedBytes"])
    older = {**signed, "manifest": {**vector["manifest"], "version": vector["manifest"]["version"] - 1}}
    expect_error("an older version", "FOLDER_MANIFEST_INVALID",
                 lambda: coffer.verify_folder_manifest(older, coffer.spki(writer.public_key())))


def check_folder_manifest_refusal(vector: dict) -> None:
    writer = coffer.import_jwk_private(vector["signingKey"])
    signed = {"folderId": vector["folderId"], "ownerId": vector["ownerId"], "manifest": vector["manifest"]}
    expect_error(vector["name"], vector["error"],
                 lambda: coffer.verify_folder_manifest(signed, coffer.spki(writer.public_key())))


def check_editor_roster(vector: dict) -> None:
    owner = coffer.spki(coffer.import_jwk_private(vector["signingKey"]).public_key())
    signed = {"folderId": vector["folderId"], "ownerId": vector["ownerId"], "roster": vector["roster"]}
    verified = coffer.verify_editor_roster(signed, owner)
    expect("signed bytes", verified["signedBytes"], vector["signedBytes"])
    for editor in vector["roster"]["editors"]:
        coffer.serialization.load_der_public_key(coffer.b64decode(editor["signingKey"], "signingKey"))


def check_editor_roster_refusal(vector: dict) -> None:
    owner = coffer.spki(coffer.import_jwk_private(vector["signingKey"]).public_key())
    signed = {"folderId": vector["folderId"], "ownerId": vector["ownerId"], "roster": vector["roster"]}
    expect_error(vector["name"], vector["error"], lambda: coffer.verify_editor_roster(signed, owner))


def check_key_set(vector: dict) -> None:
    signing = coffer.spki(coffer.import_jwk_private(vector["signingKey"]).public_key())
    account_id = vector["keySet"]["accountId"]
    signed = {"statement": vector["statement"], "signature": vector["signature"]}
    verified = coffer.verify_key_set(signed, account_id, signing)
    expect("key set", verified["keySet"], vector["keySet"])
    expect("signed bytes", verified["signedBytes"], vector["signedBytes"])
    expect("statement", b64text(coffer.canonical_key_set(vector["keySet"]), padding=False), vector["statement"])
    for case in vector["refused"]:
        try:
            signature = case.get("signature", vector["signature"])
            coffer.verify_key_set({"statement": case["statement"], "signature": signature}, account_id, signing)
        except CofferError as error:
            expect(f"refused {case['name']}", error.code, case["code"])
        else:
            raise AssertionError(f"the key set with {case['name']} was accepted")


def check_request_terms(vector: dict) -> None:
    owner = coffer.import_jwk_private(vector["ownerSigningKey"])
    terms = {name: vector[name] for name in ("requestLinkId", "ownerId", "folderId", "message", "signature")}
    expect("verified", coffer.verify_request_terms(terms, coffer.spki(owner.public_key())),
           {"verified": True, "message": vector["message"]})
    signed = coffer.LABEL_REQUEST_MESSAGE + b"".join(
        len(field).to_bytes(2, "big") + field
        for field in [*(bytes.fromhex(vector[name].replace("-", "")) for name in ("requestLinkId", "ownerId", "folderId")),
                      vector["message"].encode("utf-8")])
    expect("signed bytes", signed.hex(), vector["signedBytes"])


def check_request_seal(vector: dict) -> None:
    owner = coffer.import_jwk_private(vector["ownerSharingKey"])
    digest = coffer.fingerprint(coffer.spki(owner.public_key()), b64(vector["ownerSigningPublicKey"]))
    expect("fingerprint", b64text(digest, padding=False), vector["fingerprint"])
    expect("sealing secret", sealing_secret(coffer.LABEL_REQUEST_SEAL, vector["ephemeralKey"],
                                            vector["ownerSharingKey"]).hex(), vector["sealingSecret"])
    opened = coffer.open_request_seal(vector["seal"], owner, vector["ownerId"], vector["requestLinkId"],
                                      vector["nodeId"])
    expect("file key", opened["fileKey"], vector["fileKey"])
    expect_wrap("seal", vector["seal"]["wrapped"], bytes.fromhex(vector["sealingSecret"]), b64(vector["fileKey"]),
                ("request-file-key", vector["ownerId"], f"{vector['nodeId']}:{vector['requestLinkId']}"),
                vector["iv"], vector["timestamp"])


def check_account(vector: dict) -> None:
    user_id, master_key, timestamp = vector["userId"], b64(vector["masterKey"]), vector["timestamp"]
    passkey, passphrase, recovery = vector["passkey"], vector["passphrase"], vector["recovery"]

    expect("PRF input", coffer.prf_input().hex(), passkey["prfInput"])
    secret = coffer.prf_wrapping_secret(bytes.fromhex(passkey["prfOutput"]), b64(passkey["salt"]))
    expect("PRF wrapping secret", secret.hex(), passkey["wrappingSecret"])
    expect_wrap("passkey wrap", passkey["wrapped"], secret, master_key,
                ("master-key", user_id, f"passkey:{passkey['credentialId']}"), passkey["iv"], timestamp)

    secret = coffer.passphrase_wrapping_secret(passphrase["passphrase"], passphrase["params"])
    expect("passphrase wrapping secret", secret.hex(), passphrase["wrappingSecret"])
    expect_wrap("passphrase wrap", passphrase["wrapped"], secret, master_key, ("master-key", user_id, "passphrase"),
                passphrase["iv"], timestamp)

    key = bytes.fromhex(recovery["recoveryKey"])
    expect("recovery code", coffer.format_recovery_code(key), recovery["code"])
    for typed in [recovery["code"], *recovery["typed"]]:
        expect(f"recovery code {typed!r}", coffer.parse_recovery_code(typed), key)
    for refused in recovery["refused"]:
        expect_error(f"recovery code {refused!r}", "BAD_RECOVERY_CODE", lambda: coffer.parse_recovery_code(refused))
    secret = coffer.recovery_wrapping_secret(key, b64(recovery["salt"]))
    expect("recovery wrapping secret", secret.hex(), recovery["wrappingSecret"])
    verifier = coffer.recovery_verifier(key)
    expect("recovery verifier", b64text(verifier, padding=False), recovery["verifier"])
    expect("recovery verifier hash", hashlib.sha256(verifier).hexdigest(), recovery["verifierHash"])
    expect_wrap("recovery wrap", recovery["wrapped"], secret, master_key, ("master-key", user_id, "recovery"),
                recovery["iv"], timestamp)
    expect_error("the recovery wrap as the passphrase's", "WRAPPED_KEY_INVALID",
                 lambda: coffer.unwrap(secret, recovery["wrapped"], "master-key", user_id, "passphrase"))

    for purpose in ("sharing", "signing"):
        keys = vector["privateKeys"][purpose]
        pkcs8 = bytes.fromhex(keys["pkcs8"])
        expect_wrap(f"{purpose} private key", keys["wrapped"], master_key, pkcs8,
                    (f"{purpose}-private-key", user_id, user_id), keys["iv"], timestamp)
        private = coffer.load_private_key(pkcs8)
        expect(f"{purpose} private scalar", private.private_numbers().private_value,
               coffer.import_jwk_private(keys["jwk"]).private_numbers().private_value)
        expect(f"{purpose} public key", b64text(coffer.spki(private.public_key()), padding=False),
               vector["publicKeys"][purpose])

    bundle = {"userId": user_id, "recoveryWrap": {"salt": recovery["salt"], "wrapped": recovery["wrapped"]},
              "passphraseWrap": {**passphrase["params"], "wrapped": passphrase["wrapped"]},
              "privateKeys": {purpose: vector["privateKeys"][purpose]["wrapped"] for purpose in ("sharing", "signing")},
              "publicKeys": vector["publicKeys"]}
    for way in ({"recovery_code": recovery["typed"][0]}, {"passphrase": passphrase["passphrase"]}):
        opened = coffer.open_account(bundle, **way)
        expect(f"account opened with {list(way)[0]}", (opened["masterKey"], opened["fingerprint"]),
               (vector["masterKey"], vector["fingerprint"]))
    swapped = {**bundle, "publicKeys": {"sharing": vector["publicKeys"]["signing"],
                                        "signing": vector["publicKeys"]["sharing"]}}
    expect_error("swapped public keys", "PUBLIC_KEY_MISMATCH",
                 lambda: coffer.open_account(swapped, recovery_code=recovery["code"]))


def check_metadata(vector: dict) -> None:
    node_key, token = b64(vector["nodeKey"]), b64(vector["token"])
    place = (vector["kind"], vector["nodeId"], vector["parentId"])
    expected = vector["expected"]
    if "error" in expected:
        expect_error("metadata", expected["error"], lambda: coffer.open_metadata(node_key, *place, token))
        return
    expect("metadata", coffer.open_metadata(node_key, *place, token), expected["metadata"])
    key = coffer.metadata_key(node_key, *place)
    expect("metadata key", key.hex(), vector["metadataKey"])
    expect("token made again", fernet_token(key, bytes.fromhex(vector["plaintext"]), bytes.fromhex(vector["iv"]),
                                            vector["timestamp"]), token)
    if vector["canonical"]:
        expect("plaintext as a writer writes it",
               coffer.metadata_plaintext(vector["kind"], expected["metadata"]).hex(), vector["plaintext"])


def check_thumbnail(vector: dict) -> None:
    file_key, token = b64(vector["fileKey"]), b64(vector["token"])
    place = (vector["fileId"], vector["revision"])
    expected = vector["expected"]
    if "error" in expected:
        expect_error("thumbnail", expected["error"], lambda: coffer.open_thumbnail(file_key, *place, token))
        return
    expect("image", coffer.open_thumbnail(file_key, *place, token).hex(), expected["image"])
    key = coffer.thumbnail_key(file_key, *place)
    expect("thumbnail key", key.hex(), vector["thumbnailKey"])
    expect("token made again", fernet_token(key, bytes.fromhex(expected["image"]), bytes.fromhex(vector["iv"]),
                                            vector["timestamp"]), token)


def check_export_archive(vector: dict) -> None:
    """Spec 7: the archive opens with its recovery code to exactly the tree given; another code, a byte changed in an
    entry and a manifest sealed under another key are each refused, and no output directory is left."""
    import tempfile
    archive = b64(vector["archive"])
    expect("archive SHA-256", hashlib.sha256(archive).hexdigest(), vector["archiveSha256"])
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "archive.zip")
        with open(path, "wb") as handle:
            handle.write(archive)
        out = os.path.join(work, "out")
        opened = coffer.open_export_archive(path, vector["recoveryCode"], out)
        expect("files", opened["files"], sum(1 for node in vector["opened"] if node["kind"] == "file"))
        found = []
        for directory, folders, files in os.walk(out):
            for name in folders:
                found.append({"path": os.path.relpath(os.path.join(directory, name), out), "kind": "folder"})
            for name in files:
                with open(os.path.join(directory, name), "rb") as handle:
                    data = handle.read()
                found.append({"path": os.path.relpath(os.path.join(directory, name), out), "kind": "file",
                              "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        order = lambda node: node["path"]  # noqa: E731
        expect("opened tree", sorted(found, key=order), sorted(vector["opened"], key=order))

        other_code = ("1" if vector["recoveryCode"][0] != "1" else "2") + vector["recoveryCode"][1:]
        expect_error("another recovery code", "EXPORT_LOCKED",
                     lambda: coffer.open_export_archive(path, other_code, os.path.join(work, "refused")))
        import zipfile
        offset = zipfile.ZipFile(path).getinfo("manifest").header_offset
        name_length, extra_length = struct.unpack("<HH", archive[offset + 26:offset + 30])
        at = offset + 30 + name_length + extra_length + 40
        altered = os.path.join(work, "altered.zip")
        with open(altered, "wb") as handle:
            # One byte inside the stored manifest token: its Fernet HMAC no longer holds.
            handle.write(archive[:at] + bytes([archive[at] ^ 1]) + archive[at + 1:])

        def open_altered():
            try:
                return coffer.open_export_archive(altered, vector["recoveryCode"], os.path.join(work, "refused"))
            except zipfile.BadZipFile:
                raise coffer.export_invalid("an entry fails its CRC-32") from None

        expect_error("a byte changed", "EXPORT_INVALID", open_altered)
        expect("nothing written when refused", os.path.exists(os.path.join(work, "refused")), False)


CHECKS = {
    "stream": check_stream,
    "wrap": check_wrap,
    "sealedText": check_sealed_text,
    "passphrase": check_passphrase,
    "grant": check_grant,
    "link": check_link,
    "requestSeal": check_request_seal,
    "account": check_account,
    "metadata": check_metadata,
    "thumbnail": check_thumbnail,
    "requestTerms": check_request_terms,
    "nodeAuthor": check_node_author,
    "folderManifest": check_folder_manifest,
    "folderManifestRefusal": check_folder_manifest_refusal,
    "editorRoster": check_editor_roster,
    "editorRosterRefusal": check_editor_roster_refusal,
    "keySet": check_key_set,
    "exportArchive": check_export_archive,
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else os.path.join(os.path.dirname(__file__), "..", "tests", "vectors", "coffer.json")
    with open(path, encoding="utf-8") as handle:
        vectors = json.load(handle)
    unknown = set(vectors) - set(CHECKS) - {"plaintextPattern"}
    failures = [f"{section}: no check for this section" for section in sorted(unknown)]
    checked = 0
    for section, check in CHECKS.items():
        if not vectors.get(section):
            failures.append(f"{section}: no vectors")
        for vector in vectors.get(section, []):
            checked += 1
            try:
                check(vector)
            except (Mismatch, CofferError, KeyError, TypeError, ValueError) as error:
                detail = f"{error.code}: {error.message}" if isinstance(error, CofferError) else repr(error)
                failures.append(f"{section} {vector.get('name')!r}: {detail}")
    for failure in failures:
        print(f"coffer_check_vectors: {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"{checked} vectors passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
