"""Staff scope by area: is a GB/T 2260 division inside the staff member's county, city or province.

A scope code ending ``0000`` is a province (all its divisions), ``00`` a prefecture-level city
(all its counties), anything else one county-level division. No scope code means no area limit.
"""
from __future__ import annotations


def scope_prefix(scope_code: str | None) -> str:
    """``430000`` → ``43``; ``430100`` → ``4301``; ``430104`` → ``430104``; none → ``""``."""
    if not scope_code:
        return ""
    if scope_code.endswith("0000"):
        return scope_code[:2]
    if scope_code.endswith("00"):
        return scope_code[:4]
    return scope_code


def in_area(scope_code: str | None, *division_codes: str | None) -> bool:
    """Whether any of ``division_codes`` lies in the area ``scope_code`` (always, without one)."""
    prefix = scope_prefix(scope_code)
    if not prefix:
        return True
    return any(code and code.startswith(prefix) for code in division_codes)
