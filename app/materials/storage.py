"""Where uploaded files live: a small interface with a local-disk implementation.

``UPLOAD_STORAGE=local`` (the default) keeps files under ``UPLOAD_DIR`` (``instance/uploads``).
That suits one API host or hosts sharing a volume; several hosts without a shared volume need
object storage: implement :class:`Storage` over the provider's client (put = PUT object with
server-side encryption, get = GET, delete = DELETE; keys as given) and add it to
:func:`storage_for`. Keys are made by the service (``{case_id}/{upload_id}{ext}``), never from a
client's file name.

Every file is encrypted at rest (issue 6): :func:`storage_for` wraps the store in
:class:`SealedStorage`, which seals with AES-256-GCM under ``DATA_KEY_ID`` (the key id is written
with each file) and binds the ciphertext to its storage key, so a file copied to another key does
not open. A file stored before encryption (plain JPEG, PNG or PDF) is still returned as it is —
the service checks it against the row's SHA-256 — until ``flask privacy reseal`` seals it.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

from app.errors import NotFound
from app.privacy.crypto import SealedValueError, is_sealed_bytes, key_id_of_bytes, open_bytes, seal_bytes

_KEY = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{32}\.(jpg|png|pdf)$")


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files on local disk under ``root``, written atomically, readable by the owner only."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        # Keys come from our own ids; refuse anything else rather than trust a path.
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound("文件不存在或已被删除") from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class SealedStorage:
    """Encrypts what it keeps in ``inner`` (see the module docstring). Needs an app context (keys).

    ``get`` raises :class:`app.privacy.crypto.SealedValueError` for a file that does not open
    (unknown key, tampered, or moved from another key) and :class:`NotFound` for a missing one.
    """

    def __init__(self, inner: Storage):
        self.inner = inner

    @staticmethod
    def aad(key: str) -> str:
        return f"uploads.{key}"

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, seal_bytes(data, aad=self.aad(key)))

    def get(self, key: str) -> bytes:
        blob = self.inner.get(key)
        if not is_sealed_bytes(blob):
            return blob  # stored before encryption: the caller checks it against the row's hash
        return open_bytes(blob, aad=self.aad(key))

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def reseal(self, key: str, *, sha256: str) -> bool:
        """Seal ``key``'s file again under the current ``DATA_KEY_ID`` (key rotation), or for the
        first time if it was stored in plaintext. ``sha256``: the row's hash of the file, checked
        before anything is rewritten. Out: whether the file was rewritten (``False`` when it is
        already under the current key). Raises :class:`NotFound` for a missing file and
        :class:`SealedValueError` for one that does not open or does not match ``sha256``."""
        blob = self.inner.get(key)
        if is_sealed_bytes(blob):
            if key_id_of_bytes(blob) == current_app.config["DATA_KEY_ID"]:
                return False
            data = open_bytes(blob, aad=self.aad(key))
        else:
            data = blob
        if hashlib.sha256(data).hexdigest() != sha256:
            raise SealedValueError(f"{key}: the file does not match its recorded SHA-256")
        self.put(key, data)  # atomic replace: a reader sees the old blob or the new one
        return True


def storage_for(app: Flask | None = None) -> SealedStorage:
    """The configured storage (``UPLOAD_STORAGE``), sealed. Raises ``RuntimeError`` for an
    unknown kind."""
    cfg = (app or current_app).config
    kind = cfg["UPLOAD_STORAGE"]
    if kind == "local":
        return SealedStorage(LocalStorage(cfg["UPLOAD_DIR"]))
    raise RuntimeError(f"UPLOAD_STORAGE {kind!r} is not available (local is)")
