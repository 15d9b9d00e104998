"""Seeded private values appear nowhere in plaintext: database dump, SQLite file, Redis, logs,
push texts, uploaded files, and the answers that show rating comments (issue 6, "Done when").
``PRIVACY_SCALE=full`` seeds 1,000 people; ``make test`` seeds a fast slice.

Some families go further than filing: they upload scans whose bytes carry their ID, phone, bank
and card numbers, bind to the case, and rate a matter with a comment holding the same numbers.
Every store is searched for the exact values, and for the number patterns (any run of 7 or more
digits with spaces or dashes between them: each store is searched again with those separators
dropped; and any valid GB 11643 number is compared with the seeded ones). With ``-s`` the test prints what it saw.
"""
from __future__ import annotations

import logging
import os
import random
import re
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.standards.gb11643 import InvalidIdNumber, validate_id_number
from tests.factories import person_id_number
from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example, matter
from tests.materials import files

FULL = os.environ.get("PRIVACY_SCALE") == "full"
PEOPLE = 1000 if FULL else 24
JOURNEYS = 20 if FULL else 3  # families that also upload, bind and rate with a comment
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")
_SEPARATOR = re.compile(r"(?<=\d)[\s\-](?=\d)")


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
        form = fresh_worked_example(requested_matters=["death_certificate", "hukou_cancellation",
                                                       "medical_insurance_reduction",
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


def _numbers_of(forms: list[dict]) -> set[str]:
    values = set()
    for form in forms:
        a, d = form["applicant"], form["deceased"]
        values |= {a["id_number"], a["phone"], d["id_number"], d["bank_account"]["account_number"],
                   d["social_security_card"]["account_number"]}
    return values


def _digits_joined(text: str) -> str:
    """``text`` with a single space, tab, line break or dash between two digits dropped, so a number
    written ``138 0000 0000`` or ``6222-0000-…`` reads as its digits."""
    return _SEPARATOR.sub("", text)


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


def _upload_files(stack) -> list[Path]:
    return [p for p in Path(stack.env["UPLOAD_DIR"]).rglob("*") if p.is_file()]


class _Staff:
    """A staff login renewed every 10 minutes: the full run outlasts one access token (15 min)."""

    def __init__(self, base_url: str, username: str = "clerk.cs"):
        self.base_url, self.username, self.api, self.at = base_url, username, None, 0.0

    def __call__(self) -> Api:
        if self.api is None or time.monotonic() - self.at > 600:
            self.api, self.at = Api(self.base_url).as_staff(self.username), time.monotonic()
        return self.api


def _file_journey(clerk: Api, form: dict) -> str:
    """File at the window with the clipped scans still owed, then upload them: scans whose bytes
    carry the family's numbers. The hukou cancellation waits for them, so the case is open."""
    a, d = form["applicant"], form["deceased"]
    case_id = clerk.post("/api/v1/cases", json={**form, "materials_received": ["originals_handed_in"]},
                         expect=201).json()["id"]
    for kind, text in (("deceased_id_card_clipped", f"{d['id_number']} {a['id_number']} {a['phone']}"),
                       ("hukou_page_clipped", f"{d['bank_account']['account_number']} "
                                              f"{d['social_security_card']['account_number']}")):
        scan = files.pdf(text)
        assert text.split()[0].encode() in scan  # the scan itself holds the number in plaintext
        clerk.post(f"/api/v1/cases/{case_id}/uploads", data={"kind": kind},
                   files={"file": ("scan.pdf", scan, "application/pdf")}, expect=201)
    return case_id


@pytest.mark.parametrize("stack_name", ["embedded", "postgres"])
def test_seeded_private_values_are_nowhere_in_plaintext(request, stack_name):
    stack = request.getfixturevalue(f"{stack_name}_stack")
    started = time.monotonic()
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    answers: list[str] = []
    try:
        forms = _person_forms(PEOPLE)
        clerk = _Staff(stack.base_url)
        case_ids = [_file_journey(clerk(), f) for f in forms[:JOURNEYS]]
        case_ids += [clerk().post("/api/v1/cases", json={**f, "materials_received": HUKOU_MATERIALS},
                                  expect=201).json()["id"] for f in forms[JOURNEYS:]]
        for form, case_id in zip(forms[:JOURNEYS], case_ids):  # these families log in and bind
            token = clerk().get(f"/api/v1/cases/{case_id}/qrcode?format=json", expect=200).json()["token"]
            Api(stack.base_url).as_applicant(form).post("/api/v1/scan/bind", json={"token": token}, expect=200)
        for case_id in case_ids[JOURNEYS:]:
            clerk().wait_for_case(case_id, all_final, timeout=120)
        families = [Api(stack.base_url).as_applicant(form) for form in forms[:JOURNEYS]]  # fresh tokens
        for form, family, case_id in zip(forms, families, case_ids):  # they rate, typing their numbers
            case = clerk().wait_for_case(case_id, all_final, timeout=120)
            a, d = form["applicant"], form["deceased"]
            comment = (f"请回电{a['phone']}，身份证{a['id_number']}，"
                       f"卡号{d['bank_account']['account_number']}")
            target = matter(case, "housing_fund_withdrawal")["id"]
            rated = family.post(f"/api/v1/cases/{case['id']}/matters/{target}/rating",
                                json={"level": 1, "comment": comment}, expect=201)
            assert rated.json()["comment"].startswith(f"请回电{a['phone'][:3]}******")  # shown, masked
            answers.append(rated.text)
            answers.append(family.get(f"/api/v1/cases/{case['id']}/timeline", expect=200).text)
            answers.append(clerk().get(f"/api/v1/cases/{case['id']}", expect=200).text)
        admin = Api(stack.base_url).as_staff("admin.hn")
        listed = admin.get("/api/v1/supervision/rectifications?status=all", expect=200)
        assert sum(r["case_id"] in case_ids[:JOURNEYS] for r in listed.json()) == JOURNEYS
        answers.append(listed.text)
        answers.append(admin.get("/api/v1/notify/deliveries?state=sent", expect=200).text)
        stack.wait_idle()
    finally:
        logging.getLogger().removeHandler(capture)
    stores = _stores(stack)
    stores["api logs"] = "\n".join(capture.lines)
    stores["answers"] = "\n".join(answers)
    uploads = _upload_files(stack)
    stores["upload files"] = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in uploads)
    seeded = _secrets_of(forms)
    numbers = _numbers_of(forms)
    seeded_ids = {f["applicant"]["id_number"] for f in forms} | {f["deceased"]["id_number"] for f in forms}
    assert len(uploads) >= 2 * JOURNEYS
    for name, text in stores.items():
        leaked = sorted(v for v in seeded if v in text)
        assert leaked == [], f"{name} holds {len(leaked)} seeded values in plaintext, e.g. {leaked[:3]}"
        joined = _digits_joined(text)
        spaced = sorted(v for v in numbers if v in joined)
        assert spaced == [], f"{name} holds {len(spaced)} seeded numbers written with separators, e.g. {spaced[:3]}"
        assert not (_valid_ids_in(text) & seeded_ids), f"{name} holds a seeded ID number"
    print(f"\nprivacy scan ({stack_name}): {PEOPLE} people seeded, {len(seeded)} private values "
          f"({len(numbers)} numbers), {JOURNEYS} families uploaded {2 * JOURNEYS} scans and rated with their "
          f"numbers in the comment; searched {len(uploads)} upload files and "
          + ", ".join(f"{name} {len(text):,} chars" for name, text in stores.items())
          + f"; 0 matches; {time.monotonic() - started:.0f} s")
