"""Factories for forms and people (fictional people only; ID numbers are made to be valid).

``worked_example_form()`` is SPEC §11 as the app would POST it (JSON-ready: strings, numbers,
booleans). Override a top-level key with ``key=value`` and a nested one with ``__`` between the
parts: ``worked_example_form(deceased__gender="2", applicant__relationship_basis=REMOVE)``;
``REMOVE`` drops the key.
"""
from __future__ import annotations

import copy
from datetime import date

from app.standards.gb11643 import make_id_number

REMOVE = object()


def person_id_number(birth: date, gender: str, *, division: str = "430104", serial: str = "01") -> str:
    """A valid GB 11643 number for a fictional person: ``gender`` '1' 男 / '2' 女 sets the
    parity of the 17th digit; ``serial`` is the first two sequence digits."""
    return make_id_number(division, birth, serial + ("1" if gender == "1" else "2"))


DECEASED_ID = person_id_number(date(1948, 3, 12), "1", division="430104", serial="21")
APPLICANT_ID = person_id_number(date(1975, 6, 18), "2", division="430102", serial="38")


def worked_example_form(**overrides) -> dict:
    """王建国 (died 2026-01-30 23:40) and his daughter 王丽 applying on 2026-01-31 (SPEC §11)."""
    form = {
        "applicant": {
            "name": "王丽",
            "phone": "13800000000",
            "id_number": APPLICANT_ID,
            "address": "湖南省长沙市芙蓉区示例路 1 号",
            "relationship": "30",
        },
        "deceased": {
            "name": "王建国",
            "gender": "1",
            "age": 77,
            "ethnicity": "01",
            "died_at": "2026-01-30T23:40:00+08:00",
            "death_cause_category": "normal",
            "death_cause": "疾病",
            "id_number": DECEASED_ID,
            "bank_account": {"bank_name": "示例银行长沙岳麓支行", "account_number": "6200000000000000017"},
            "social_security_card": {"bank_name": "示例银行长沙分行", "account_number": "6200000000000000025"},
            "place_of_death": {
                "kind": "medical_institution",
                "name": "湖南省人民医院",
                "division_code": "430102",
            },
            "household_registration": {
                "province": "湖南省",
                "city": "长沙市",
                "county": "岳麓区",
                "police_station": "岳麓派出所",
                "division_code": "430104",
            },
        },
        "circumstances": {
            "welfare": ["elderly_subsidy"],
            "is_enterprise_employee": True,
            "employment_status": "retired",
            "medical_insurance": "employee",
            "pension_insurance": "enterprise_employee",
            "other_insurance": [],
        },
        "requested_matters": [
            "death_certificate",
            "cremation_certificate",
            "hukou_cancellation",
            "driving_licence_cancellation",
            "medical_insurance_reduction",
            "medical_account_withdrawal",
            "pension_account_payout",
            "funeral_subsidy",
            "survivor_benefit",
            "housing_fund_withdrawal",
        ],
        "commitment": {
            "accepted": True,
            "signed_name": "王丽",
            "signed_at": "2026-01-31T09:30:00+08:00",
        },
    }
    for path, value in overrides.items():
        *parents, last = path.split("__")
        target = form
        for part in parents:
            target = target[part]
        if value is REMOVE:
            target.pop(last, None)
        else:
            target[last] = copy.deepcopy(value)
    return form
