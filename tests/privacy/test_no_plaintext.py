"""Seeded private values appear nowhere in plaintext: database dump, SQLite file, Redis, logs,
push texts (issue 6, "Done when"). ``PRIVACY_SCALE=full`` seeds 1,000 people; ``make test``
seeds a fast slice."""
from __future__ import annotations

import logging
import os
import random
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.standards.gb11643 import InvalidIdNumber, validate_id_number
from tests.factories import person_id_number
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example

PEOPLE = 1000 if os.environ.get("PRIVACY_SCALE") == "full" else 24
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001
            self.lines.append(str(record.msg))


def _person_forms(count: int) -> list[dict]:
    forms = []
    for i in range(count):
        applicant_birth = date(1960, 1, 1) + timedelta(days=random.randrange(12000))
        applicant_id = person_id_number(applicant_birth, "2", division="430102", serial=f"{random.randrange(100):02d}")
        form = fresh_worked_example(requested_matters=["death_certificate", "medical_insurance_reduction",
                                                       "medical_account_withdrawal", "housing_fund_withdrawal"])
        form["applicant"].update(id_number=applicant_id, phone=f"13{random.randrange(10**9):09d}",
                                 address=f"湖南省长沙市示例路{random.randrange(10**6)}号")
        form["deceased"]["bank_account"]["account_number"] = f"62{random.randrange(10**17):017d}"
        form["deceased"]["social_security_card"]["account_number"] = f"63{random.randrange(10**17):017d}"
        form["deceased"]["death_cause"] = f"示例病因{random.randrange(10**8)}"
        forms.append(form)
    return forms


def _secrets_of(forms: list[dict]) -> set[str]:
    values = set()
    for form in forms:
        a, d = form["applicant"], form["deceased"]
        values |= {a["id_number"], a["phone"], a["address"], d["id_number"], d["death_cause"],
                   d["bank_account"]["account_number"], d["social_security_card"]["account_number"]}
    return values


def _valid_ids_in(text: str) -> set[str]:
    found = set()
    for candidate in ID_PATTERN.findall(text):
        try:
            found.add(validate_id_number(candidate))
        except InvalidIdNumber:
            pass
    return found


def _redis_text(url: str) -> str:
    from redis import Redis

    client, parts = Redis.from_url(url), []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            parts.append(repr(client.get(key)))
        elif kind == "hash":
            parts.append(repr(client.hgetall(key)))
        elif kind == "list":
            parts.append(repr(client.lrange(key, 0, -1)))
        elif kind in {"set"}:
            parts.append(repr(client.smembers(key)))
        elif kind == "zset":
            parts.append(repr(client.zrange(key, 0, -1)))
    return "\n".join(parts)


def _stores(stack) -> dict[str, str]:
    url = stack.env["DATABASE_URL"]
    stores = {}
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        stores["sqlite file"] = "".join(p.read_bytes().decode("utf-8", "replace")
                                        for p in path.parent.glob(path.name + "*"))
    else:
        stores["postgres dump"] = subprocess.run(["pg_dump", "--no-owner", url], check=True, capture_output=True,
                                                 text=True).stdout
        stores["redis"] = _redis_text(stack.env["REDIS_URL"])
    stores["worker logs"] = "".join(p.read_text(errors="replace") for p in Path(stack.tmp).glob("*.log"))
    return stores


@pytest.mark.parametrize("stack_name", ["embedded", "postgres"])
def test_seeded_private_values_are_nowhere_in_plaintext(request, stack_name):
    stack = request.getfixturevalue(f"{stack_name}_stack")
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    try:
        forms = _person_forms(PEOPLE)
        clerk = Api(stack.base_url).as_staff()
        case_ids = [clerk.post("/api/v1/cases", json={**f, "materials_received": HUKOU_MATERIALS},
                               expect=201).json()["id"] for f in forms]
        for form, case_id in zip(forms[:3], case_ids[:3]):  # a few families log in, bind and read
            token = clerk.get(f"/api/v1/cases/{case_id}/qrcode?format=json", expect=200).json()["token"]
            family = Api(stack.base_url).as_applicant(form)
            family.post("/api/v1/scan/bind", json={"token": token}, expect=200)
        for case_id in case_ids:
            clerk.wait_for_case(case_id, all_final, timeout=120)
    finally:
        logging.getLogger().removeHandler(capture)
    stores = _stores(stack)
    stores["api logs"] = "\n".join(capture.lines)
    seeded = _secrets_of(forms)
    seeded_ids = {f["applicant"]["id_number"] for f in forms} | {f["deceased"]["id_number"] for f in forms}
    for name, text in stores.items():
        leaked = sorted(v for v in seeded if v in text)
        assert leaked == [], f"{name} holds {len(leaked)} seeded values in plaintext, e.g. {leaked[:3]}"
        assert not (_valid_ids_in(text) & seeded_ids), f"{name} holds a seeded ID number"
