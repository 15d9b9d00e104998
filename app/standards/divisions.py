"""GB/T 2260 administrative division codes of Hunan (湖南省, 430000).

Data: ``data/hunan_divisions.json`` — the province, its 14 prefecture-level divisions and their
122 county-level divisions, compiled from the public 民政部 list; its ``source``, ``as_of`` and
``verify`` notes say how far to trust it. Shape of a code: 2 digits province, 2 prefecture,
2 county (``430104`` = 湖南省 长沙市 岳麓区; ``430100`` = 长沙市; ``430000`` = 湖南省).
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import NamedTuple

_DATA = Path(__file__).parent / "data" / "hunan_divisions.json"
PROVINCE_CODE = "430000"


class CountyDivision(NamedTuple):
    """A county-level division and the prefecture-level division it belongs to."""

    code: str
    name: str
    prefecture_code: str
    prefecture_name: str


@cache
def _table() -> tuple[dict[str, str], dict[str, CountyDivision]]:
    """``({code: name} for province + prefectures + counties, {county code: CountyDivision})``."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    names = {data["province"]["code"]: data["province"]["name"]}
    counties: dict[str, CountyDivision] = {}
    for prefecture in data["prefectures"]:
        names[prefecture["code"]] = prefecture["name"]
        for code, name in prefecture["counties"].items():
            names[code] = name
            counties[code] = CountyDivision(code, name, prefecture["code"], prefecture["name"])
    return names, counties


def _well_formed(code: object) -> bool:
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def division_name(code: str) -> str | None:
    """The name of a known Hunan division (province, prefecture or county), else ``None``."""
    return _table()[0].get(code) if _well_formed(code) else None


def county_division(code: str) -> CountyDivision | None:
    """The known county-level division with this code, else ``None`` (also for prefecture and
    province codes)."""
    return _table()[1].get(code) if _well_formed(code) else None


def is_hunan(code: str) -> bool:
    """Whether ``code`` is a six-digit GB/T 2260 code inside Hunan (SPEC §1 scope rule).

    True for a code in the table (province, prefecture such as ``430100``, or county), and —
    because the table is compiled by hand and divisions change — also for a county code that is
    not in the table but lies under a known prefecture (``4301``–``4313``, ``4331``): for those
    only the ``43`` prefix and the prefecture part are checked. So a division created after the
    table's ``as_of`` date, or an older code still printed on a hukou page, is not refused.
    """
    if not (_well_formed(code) and code.startswith("43")):
        return False
    names = _table()[0]
    prefecture = code[:4] + "00"
    return code in names or (prefecture != PROVINCE_CODE and prefecture in names)
