"""AES-256-GCM for private fields and HMAC-SHA256 blind indexes for lookups.

A sealed value is ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``; the associated data
binds it to its table, column and row id, so a value copied to another row or column does not
decrypt. Keys come from ``DATA_KEYS`` (JSON ``{key id: base64 of 32 bytes}``) with
``DATA_KEY_ID`` naming the one that seals; the others only open (rotation). Lookups by ID number
use ``blind_index`` (HMAC with ``BLIND_INDEX_KEY``), never the plaintext.

Uploaded files are sealed the same way as bytes (:func:`seal_bytes`): ``HSYS1`` ‖ key id length
(1 byte) ‖ key id (UTF-8) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes), bound to their
storage key. No JPEG, PNG or PDF starts with ``HSYS1``, so a file stored before encryption is
told apart (see :func:`is_sealed_bytes`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

PREFIX = "v1"
BYTES_MAGIC = b"HSYS1"


class SealedValueError(Exception):
    """A sealed value that cannot be opened (unknown key, tampered, or moved to another row)."""


def _keys() -> tuple[str, dict[str, bytes]]:
    cfg = current_app.config
    return cfg["DATA_KEY_ID"], cfg["DATA_KEYS"]


def seal(plaintext: str, *, aad: str) -> str:
    """Encrypt ``plaintext`` under the current key, bound to ``aad`` (e.g. ``cases.form.<id>``)."""
    kid, keys = _keys()
    nonce = os.urandom(12)
    body = AESGCM(keys[kid]).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{PREFIX}.{kid}.{base64.urlsafe_b64encode(nonce + body).decode()}"


def open_sealed(sealed: str, *, aad: str) -> str:
    """Decrypt a value from :func:`seal`. Raises :class:`SealedValueError`."""
    try:
        prefix, kid, data = sealed.split(".", 2)
        raw = base64.urlsafe_b64decode(data)
        key = _keys()[1][kid]
        if prefix != PREFIX:
            raise ValueError(prefix)
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad.encode()).decode()
    except Exception as exc:  # noqa: BLE001 - every failure means the same: cannot open
        raise SealedValueError(f"cannot open sealed value ({type(exc).__name__})") from None


def key_id_of(sealed: str) -> str:
    return sealed.split(".", 2)[1]


def seal_bytes(data: bytes, *, aad: str) -> bytes:
    """Encrypt a file's bytes under the current key, bound to ``aad`` (e.g. ``uploads.<storage key>``).
    Out: the blob described in the module docstring (34 + len(key id) bytes longer)."""
    kid, keys = _keys()
    nonce = os.urandom(12)
    kid_bytes = kid.encode()
    return (BYTES_MAGIC + bytes([len(kid_bytes)]) + kid_bytes + nonce
            + AESGCM(keys[kid]).encrypt(nonce, data, aad.encode()))


def is_sealed_bytes(blob: bytes) -> bool:
    return blob.startswith(BYTES_MAGIC)


def key_id_of_bytes(blob: bytes) -> str:
    """The key id a blob from :func:`seal_bytes` was sealed under. Raises :class:`SealedValueError`."""
    if not is_sealed_bytes(blob) or len(blob) < len(BYTES_MAGIC) + 1:
        raise SealedValueError("not a sealed blob")
    start = len(BYTES_MAGIC) + 1
    try:
        return blob[start:start + blob[len(BYTES_MAGIC)]].decode()
    except UnicodeDecodeError:
        raise SealedValueError("not a sealed blob") from None


def open_bytes(blob: bytes, *, aad: str) -> bytes:
    """Decrypt a blob from :func:`seal_bytes`. Raises :class:`SealedValueError` (not sealed,
    unknown key, tampered, or bound to another ``aad``)."""
    kid = key_id_of_bytes(blob)
    body = blob[len(BYTES_MAGIC) + 1 + len(kid.encode()):]
    try:
        return AESGCM(_keys()[1][kid]).decrypt(body[:12], body[12:], aad.encode())
    except Exception as exc:  # noqa: BLE001 - every failure means the same: cannot open
        raise SealedValueError(f"cannot open sealed file ({type(exc).__name__})") from None


def seal_json(value, *, aad: str) -> str:
    return seal(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True), aad=aad)


def open_json(sealed: str, *, aad: str):
    return json.loads(open_sealed(sealed, aad=aad))


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed HMAC-SHA256 of ``value`` for equality lookups (hex, 64 characters)."""
    key = current_app.config["BLIND_INDEX_KEY"]
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def id_number_index(id_number: str) -> str:
    """The blind index of a GB 11643 ID number (normalised, ``X`` upper case)."""
    return blind_index(id_number.strip().upper(), purpose="gb11643")
