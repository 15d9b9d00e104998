"""The worked example of SPEC §11 (fictional people), as the mobile app would POST it.

王建国 (male, 汉族, born 1948-03-12, hukou 长沙市岳麓区) died of illness on 2026-01-30 at 23:40
in 湖南省人民医院; his daughter 王丽 applies at the 长沙市殡仪馆 window on 2026-01-31.

This is the client's own copy of the form (it must not import the server's test factories).
The deceased's ID number gets a random sequence each run, because the API refuses a second
open case for the same deceased (409).
"""
from __future__ import annotations

import copy
import random
from datetime import date

from mp_client_stub import idnumber

DECEASED_BIRTH = date(1948, 3, 12)
DECEASED_DIVISION = "430104"  # 长沙市岳麓区

APPLICANT = {
    "name": "王丽",
    "phone": "13800000000",
    # 430102 芙蓉区, born 1975-06-18, female (even 17th digit).
    "id_number": idnumber.make("430102", date(1975, 6, 18), "382"),
}

REQUESTED_MATTERS = [
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
]
AUTOMATIC_MATTERS = ["elderly_subsidy_termination"]
EXPECTED_MATTERS = REQUESTED_MATTERS + AUTOMATIC_MATTERS
EXPECTED_EFFECTIVE_DATES = {"elderly_subsidy_termination": "2026-02-01"}

# What the clerk has received at the window (附件2 注4): clipped scans and the originals.
MATERIALS_RECEIVED = ["deceased_id_card_clipped_scan", "hukou_page_clipped_scan", "originals_handed_in"]


def deceased_id_number(rng: random.Random | None = None) -> str:
    """A fresh valid number for 王建国: division 430104, born 1948-03-12, male."""
    return idnumber.random_number(DECEASED_DIVISION, DECEASED_BIRTH, male=True, rng=rng)


def form(*, deceased_id: str | None = None) -> dict:
    """The §11 application form; ``deceased_id`` defaults to a fresh random number."""
    return copy.deepcopy({
        "applicant": {
            "name": APPLICANT["name"],
            "phone": APPLICANT["phone"],
            "id_number": APPLICANT["id_number"],
            "address": "湖南省长沙市芙蓉区示例路 1 号",
            "relationship": "30",  # 女儿 (GB/T 4761)
        },
        "deceased": {
            "name": "王建国",
            "gender": "1",
            "age": 77,
            "ethnicity": "01",
            "died_at": "2026-01-30T23:40:00+08:00",
            "death_cause_category": "normal",
            "death_cause": "疾病",
            "id_number": deceased_id or deceased_id_number(),
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
        "requested_matters": list(REQUESTED_MATTERS),
        "commitment": {
            "accepted": True,
            "signed_name": "王丽",
            "signed_at": "2026-01-31T09:30:00+08:00",
        },
    })
