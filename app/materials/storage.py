"""Where uploaded files live: a small interface with a local-disk implementation.

``UPLOAD_STORAGE=local`` (the default) keeps files under ``UPLOAD_DIR`` (``instance/uploads``).
That suits one API host or hosts sharing a volume; several hosts without a shared volume need
object storage: implement :class:`Storage` over the provider's client (put = PUT object with
server-side encryption, get = GET, delete = DELETE; keys as given) and add it to
:func:`storage_for`. Keys are made by the service (``{case_id}/{upload_id}{ext}``), never from a
client's file name.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

from app.errors import NotFound

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


def storage_for(app: Flask | None = None) -> Storage:
    """The configured storage (``UPLOAD_STORAGE``). Raises ``RuntimeError`` for an unknown kind."""
    cfg = (app or current_app).config
    kind = cfg["UPLOAD_STORAGE"]
    if kind == "local":
        return LocalStorage(cfg["UPLOAD_DIR"])
    raise RuntimeError(f"UPLOAD_STORAGE {kind!r} is not available (local is)")
