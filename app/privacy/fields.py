"""Sealed model attributes: ``form = Sealed("form_sealed", json=True)`` on a model.

Reading decrypts (cached per loaded value); writing encrypts at once, bound to the row's id
(assigned on first write if the row has none yet), so plaintext never reaches the session.
"""
from __future__ import annotations

from app.privacy.crypto import open_json, open_sealed, seal, seal_json


class Sealed:
    def __init__(self, column: str, *, json: bool = False, aad_attr: str = "id", id_factory=None, empty=None):
        self.column, self.json, self.aad_attr, self.id_factory = column, json, aad_attr, id_factory
        self.empty = empty  # what an unset value reads as (e.g. ``dict`` for an empty outcome)

    __hash__ = object.__hash__

    def __eq__(self, other):
        # ``Model.sealed == value`` in a query would silently match nothing: refuse it.
        raise TypeError("sealed fields cannot be queried; use their blind index")

    def __set_name__(self, owner, name):
        self.name = name

    def aad(self, obj) -> str:
        row_key = getattr(obj, self.aad_attr)
        if row_key is None and self.id_factory is not None:
            row_key = self.id_factory()
            setattr(obj, self.aad_attr, row_key)
        if row_key is None:
            raise ValueError(f"{obj.__tablename__}.{self.name}: the row needs its {self.aad_attr} before sealing")
        return f"{obj.__tablename__}.{self.name}.{row_key}"

    def __get__(self, obj, owner):
        if obj is None:
            return self
        sealed = getattr(obj, self.column)
        if sealed is None:
            return self.empty() if self.empty else None
        cache = obj.__dict__.setdefault("_sealed_cache", {})
        hit = cache.get(self.name)
        if hit is not None and hit[0] == sealed:
            return hit[1]
        value = (open_json if self.json else open_sealed)(sealed, aad=self.aad(obj))
        cache[self.name] = (sealed, value)
        return value

    def __set__(self, obj, value):
        if value is None:
            setattr(obj, self.column, None)
            return
        sealed = (seal_json if self.json else seal)(value, aad=self.aad(obj))
        setattr(obj, self.column, sealed)
        obj.__dict__.setdefault("_sealed_cache", {})[self.name] = (sealed, value)


def reseal(obj, attribute: str) -> bool:
    """Seal ``attribute`` again under the current key. Out: whether it changed key."""
    from flask import current_app

    descriptor = type(obj).__dict__[attribute]
    sealed = getattr(obj, descriptor.column)
    if sealed is None or sealed.split(".", 2)[1] == current_app.config["DATA_KEY_ID"]:
        return False
    setattr(obj, attribute, getattr(obj, attribute))
    return True
