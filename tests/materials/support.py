"""Journey steps shared by the materials and cases tests (fictional people only)."""
from __future__ import annotations

from tests.helpers import Api, fresh_worked_example

HOME = {"kind": "home", "name": "岳麓区示例村 3 组家中", "division_code": "430104"}


def home_death_form(**overrides) -> dict:
    """SPEC §11's family, but 王建国 died at home (normal death outside a medical institution)."""
    return fresh_worked_example(**{"deceased__place_of_death": HOME, **overrides})


def file_at_window(stack, form: dict, *, clerk: str = "clerk.cs", **extra) -> tuple[Api, dict]:
    api = Api(stack.base_url).as_staff(clerk)
    case = api.post("/api/v1/cases", json={**form, **extra}, expect=201).json()
    return api, case


def bind_applicant(stack, staff: Api, case: dict, form: dict) -> Api:
    """The applicant logs in, scans the case QR code the window shows, and binds."""
    token = staff.get(f"/api/v1/cases/{case['id']}/qrcode?format=json", expect=200).json()["token"]
    family = Api(stack.base_url).as_applicant(form)
    family.post("/api/v1/scan/bind", json={"token": token}, expect=200)
    return family


def upload(api: Api, case_id: str, kind: str, data: bytes, *, filename: str = "scan.jpg",
           content_type: str = "image/jpeg", expect: int | None = 201):
    return api.post(f"/api/v1/cases/{case_id}/uploads", data={"kind": kind},
                    files={"file": (filename, data, content_type)}, expect=expect)


def matter(case: dict, code: str) -> dict:
    return next(m for m in case["matters"] if m["code"] == code)


def item(materials: dict, code: str) -> dict:
    return next(i for i in materials["items"] if i["code"] == code)
