"""Every text the family may read is plain Chinese without ID, bank, card or phone numbers, and
mini-program fields fit the platform's limits."""
import re
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from app.notify.templates import MP_TEMPLATES, TEMPLATES, fit_field, render, scrub, yuan

LONG_DIGITS = re.compile(r"\d(?:[\s\-]?\d){6,}")
PRIVATE = "身份证430104194803120013，账号6200 0000 0000 0000 017，电话138-0000-0000"


@pytest.fixture
def app_context(embedded_stack):
    with embedded_stack.app.app_context():
        yield


def _every_render():
    case = SimpleNamespace(deceased_name="王建国", reference="SH20260131123456")
    at = datetime(2026, 1, 31, 1, 30, tzinfo=timezone.utc)
    matters = {
        None: None,
        "payout": SimpleNamespace(code="pension_account_payout", department="hrss", effective_date=None,
                                  outcome={"payout_amount_fen": 123456789, "payout_account": "6200000000000000017"}),
        "stopped": SimpleNamespace(code="elderly_subsidy_termination", department="civil_affairs",
                                   effective_date=date(2026, 2, 1), outcome={"effective_date": "2026-02-01"}),
        "cancelled": SimpleNamespace(code="hukou_cancellation", department="police_household", effective_date=None,
                                     outcome={"certificate_reference": "HK-12345678901"}),
        "cremation": SimpleNamespace(code="cremation_certificate", department="funeral_home", effective_date=None,
                                     outcome={}),
    }
    for key in list(TEMPLATES) + ["a_kind_nobody_templated"]:
        kind = key.split(":")[0]
        for matter in matters.values():
            event = SimpleNamespace(kind=kind, summary=f"编号 {case.reference}；{PRIVATE}", created_at=at)
            yield key, render(event, case=case, matter=matter)


def test_every_template_render_is_free_of_long_digit_runs(app_context):
    seen = set()
    for key, rendered in _every_render():
        seen.add(rendered.kind)
        texts = [rendered.title, rendered.body, rendered.push_text or "", *rendered.mp_fields.values()]
        for text in texts:
            assert not LONG_DIGITS.search(text), (key, text)
        assert len(rendered.title) <= 40 and len(rendered.body) <= 300 and len(rendered.push_text or "") <= 120
    assert seen >= {key.split(":")[0] for key in TEMPLATES}


def test_every_push_and_field_fits_and_every_template_is_known(app_context):
    for key, rendered in _every_render():
        assert rendered.mp_template in MP_TEMPLATES
        expected = set(MP_TEMPLATES[rendered.mp_template]["fields"])
        assert set(rendered.mp_fields) == expected
        for name, value in rendered.mp_fields.items():
            if name.startswith("thing"):
                assert len(value) <= 20
            if name.startswith("phrase"):
                assert 0 < len(value) <= 5 and re.fullmatch(r"[\u4e00-\u9fff]+", value), (key, value)


def test_fit_field_cuts_each_kind_safely():
    assert fit_field("thing1", "一" * 25) == "一" * 19 + "…"
    assert fit_field("thing1", "一" * 20) == "一" * 20
    assert fit_field("phrase2", "已办结！OK，请查看详情") == "已办结请查"
    assert fit_field("character_string5", "SH-2026/AB 测试" + "X" * 40) == ("SH-2026/AB" + "X" * 40)[:32]
    assert fit_field("time3", "2026年01月31日 09:30") == "2026年01月31日 09:30"
    assert fit_field("thing1", "联系电话13800000000") == "联系电话＊＊＊"


def test_scrub_and_yuan():
    assert scrub(PRIVATE) == "身份证＊＊＊，账号＊＊＊，电话＊＊＊"
    assert scrub("2026年2月1日起停发，1,234.56元") == "2026年2月1日起停发，1,234.56元"
    assert yuan(123456789) == "1,234,567.89" and yuan(5) == "0.05" and yuan(-150) == "-1.50"


def test_payout_amounts_stay_off_the_lock_screen(app_context):
    case = SimpleNamespace(deceased_name="王建国")
    matter = SimpleNamespace(code="funeral_subsidy", department="hrss", effective_date=None,
                             outcome={"payout_amount_fen": 654321})
    event = SimpleNamespace(kind="matter_done", summary="", created_at=datetime(2026, 2, 2, tzinfo=timezone.utc))
    rendered = render(event, case=case, matter=matter)
    assert rendered.applicant_only
    assert "6,543.21元" in rendered.body and "6,543.21" not in rendered.push_text
