"""The API's operations as the served OpenAPI document lists them, so that new endpoints are in
the security tests without anyone adding them by hand."""
from __future__ import annotations

import re
from dataclasses import dataclass

import requests

PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in the document: /api/v1/cases/{case_id}
    secured: bool

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    def url(self, values: dict[str, str]) -> str:
        return PARAM.sub(lambda m: str(values[m.group(1)]), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(base_url: str) -> list[Operation]:
    document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append(Operation(method.upper(), path, bool(operation.get("security"))))
    return sorted(found, key=str)


#: A valid request where the endpoint needs a body, so that a call reaches the id lookup and the
#: checks behind it (an endpoint missing here may stop at validation, 422, before them).
BODIES = {
    "POST /api/v1/cases/{case_id}/materials": {"json": {"kind": "originals_handed_in"}},
    "POST /api/v1/cases/{case_id}/corrections": {"json": {"applicant": {"address": "湖南省长沙市岳麓区示例路9号"}}},
    "POST /api/v1/workbench/matters/{matter_id}/report": {"json": {"status": "accepted"}},
    "POST /api/v1/cases/{case_id}/matters/{matter_id}/rating": {"json": {"level": 5}},
    "POST /api/v1/cases/{case_id}/uploads": {"data": {"kind": "applicant_id_card"}},
    "POST /api/v1/cases/{case_id}/supplement-requests": {"json": {"note": "请补充材料"}},
    "POST /api/v1/cases/{case_id}/originals": {"json": {"id_card": True, "hukou_page": True, "copies_clipped": True}},
    "POST /api/v1/cases/{case_id}/abnormal-death-certificate": {"json": {"certificate_number": "示例第001号"}},
    "POST /api/v1/scan": {"json": {"token": "x" * 27}},
    "POST /api/v1/scan/bind": {"json": {"token": "x" * 27}},
}


def request_kwargs(key: str) -> dict:
    """``requests`` keyword arguments for operation ``key`` (``"POST /api/v1/..."``)."""
    from tests.people import case_form, new_person, tiny_png

    if key == "POST /api/v1/cases":
        return {"json": case_form(new_person())}
    kwargs = dict(BODIES.get(key, {}))
    if key == "POST /api/v1/cases/{case_id}/uploads":
        kwargs["files"] = {"file": ("id.png", tiny_png(), "image/png")}
    return kwargs
