"""Fictional families for the identity, QR and access tests: people, logins, a case each.

A :class:`Family` is an applicant and one relative bound to a case a clerk filed: the
applicant bound by ID match, the relative scanned the QR code and the applicant approved. Every
name and number is made up (valid GB 11643 check digits, 138… phones).
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from tests.factories import person_id_number
from tests.helpers import Api, fresh_worked_example

SURNAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "文华建国丽娟明秀英志强海燕春梅晓东红军玉兰德胜"


def new_person(gender: str | None = None) -> dict:
    """``{name, id_number, phone}`` of a fictional adult with a fresh ID number."""
    gender = gender or random.choice("12")
    birth = date(1960, 1, 1) + timedelta(days=random.randrange(30 * 365))
    id_number = person_id_number(birth, gender, division="430102", serial=f"{random.randrange(100):02d}")
    name = random.choice(SURNAMES) + "".join(random.sample(GIVEN, 2))
    return {"name": name, "id_number": id_number, "phone": f"138{random.randrange(10**8):08d}"}


def login(stack, person: dict) -> Api:
    """The person signed in through the sandbox platform (a real HTTP code exchange)."""
    return Api(stack.base_url).as_family(**person)


def login_tokens(stack, person: dict) -> dict:
    """The platform-login answer itself: ``{access_token, refresh_token, ...}``."""
    api = Api(stack.base_url)
    code = api.post("/sandbox/platform/login-codes", json=person, expect=201).json()["code"]
    return api.post("/api/v1/auth/platform-login", json={"code": code}, expect=200).json()


def case_form(applicant: dict) -> dict:
    """SPEC §11 with ``applicant`` applying for a fresh fictional deceased."""
    deceased_name = random.choice(SURNAMES) + random.choice(GIVEN) + random.choice(GIVEN)
    return fresh_worked_example(
        applicant__name=applicant["name"], applicant__id_number=applicant["id_number"],
        applicant__phone=applicant["phone"], deceased__name=deceased_name, commitment__signed_name=applicant["name"],
    )


def file_case(stack, applicant: dict, *, clerk: str = "clerk.cs") -> tuple[Api, dict, dict]:
    """A clerk files a case for ``applicant``: ``(clerk api, case, form)``. The hukou originals
    are not handed in yet, so the case stays open (its hukou matter waits, 附件2 注4)."""
    clerk_api = Api(stack.base_url).as_staff(clerk)
    form = case_form(applicant)
    case = clerk_api.post("/api/v1/cases", json=form, expect=201).json()
    return clerk_api, case, form


def qr_token(api: Api, case_id: str) -> str:
    return api.get(f"/api/v1/cases/{case_id}/qrcode?format=json", expect=200).json()["token"]


@dataclass
class Family:
    applicant: dict
    relative: dict
    applicant_api: Api
    relative_api: Api
    clerk_api: Api
    case: dict
    form: dict
    token: str
    member_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    upload_ids: list[str] = field(default_factory=list)

    @property
    def case_id(self) -> str:
        return self.case["id"]

    @property
    def matter_ids(self) -> list[str]:
        return [m["id"] for m in self.case["matters"]]

    def secrets(self) -> list[str]:
        """Strings that must never appear in another family's answers."""
        f = self.form
        return [self.case_id, self.case["reference"], f["deceased"]["name"], f["deceased"]["id_number"],
                f["applicant"]["id_number"], f["applicant"]["phone"], self.applicant["name"], self.relative["name"],
                self.relative["id_number"], self.token, *self.matter_ids, *self.upload_ids]


def make_family(stack, *, clerk: str = "clerk.cs") -> Family:
    """An applicant and a relative, both bound to one case (relative approved by the applicant)."""
    applicant, relative = new_person("2"), new_person("1")
    clerk_api, case, form = file_case(stack, applicant, clerk=clerk)
    token = qr_token(clerk_api, case["id"])
    applicant_api, relative_api = login(stack, applicant), login(stack, relative)
    applicant_api.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    assert relative_api.post("/api/v1/scan/bind", json={"token": token}, expect=200).json()["membership"] == "pending"
    members = applicant_api.get(f"/api/v1/cases/{case['id']}/members", expect=200).json()
    pending = next(m for m in members if m["status"] == "pending")
    applicant_api.post(f"/api/v1/cases/{case['id']}/members/{pending['id']}/approve", expect=200)
    family = Family(applicant, relative, applicant_api, relative_api, clerk_api, case, form, token,
                    member_ids=[m["id"] for m in members])
    upload = applicant_api.post(f"/api/v1/cases/{case['id']}/uploads", data={"kind": "applicant_id_card"},
                                files={"file": ("id.png", tiny_png(), "image/png")}, expect=201).json()
    family.upload_ids.append(upload["id"])
    for api in (applicant_api, relative_api):
        family.message_ids += [m["id"] for m in api.get("/api/v1/me/messages", expect=200).json()]
    return family


def tiny_png() -> bytes:
    """A real 16×16 PNG (uploads are judged by their content)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 200, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def unknown_id(kind: str) -> str:
    """An id of the right shape that names nothing."""
    return str(random.randrange(10**8, 10**9)) if kind in {"member_id", "message_id"} else uuid.uuid4().hex


def side_app(stack, **env):
    """Another app on ``stack``'s database and secrets with ``env`` overriding its settings
    (e.g. low rate limits, other JWT keys), for Flask's test client. Its platform adapter still
    calls the stack's sandbox platform over HTTP."""
    from app import create_app
    from app.config import load_config

    return create_app(load_config({**stack.env, **{k: str(v) for k, v in env.items()}}))
