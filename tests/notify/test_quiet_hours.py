"""Quiet hours (22:00–07:00 Asia/Shanghai by default): routine news waits for morning, urgent news goes at once."""
from datetime import datetime, timedelta

import pytest

import app.notify.delivery
from app import clock
from app.notify.fanout import release_time
from tests.notify.conftest import deliveries, received

QUIET = ("22:00", "07:00")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(clock.SHANGHAI)


@pytest.mark.parametrize("made, urgent, expected", [
    ("2026-03-02T23:00:00+08:00", False, "2026-03-03T07:00:00+08:00"),
    ("2026-03-03T00:30:00+08:00", False, "2026-03-03T07:00:00+08:00"),
    ("2026-03-02T22:00:00+08:00", False, "2026-03-03T07:00:00+08:00"),
    ("2026-03-03T07:00:00+08:00", False, "2026-03-03T07:00:00+08:00"),
    ("2026-03-02T21:59:00+08:00", False, "2026-03-02T21:59:00+08:00"),
    ("2026-03-02T23:00:00+08:00", True, "2026-03-02T23:00:00+08:00"),
])
def test_release_time_across_midnight(made, urgent, expected):
    assert release_time(_at(made), urgent=urgent, quiet=QUIET) == _at(expected)


def test_release_time_with_a_daytime_window_and_without_quiet_hours():
    assert release_time(_at("2026-03-02T12:30:00+08:00"), urgent=False, quiet=("12:00", "14:00")) == \
        _at("2026-03-02T14:00:00+08:00")
    assert release_time(_at("2026-03-02T23:00:00+08:00"), urgent=False, quiet=None) == _at("2026-03-02T23:00:00+08:00")


def test_quiet_hours_come_from_config():
    from app.config import load_config

    assert load_config({"SANDBOX": "1"})["QUIET_HOURS"] == ("22:00", "07:00")
    assert load_config({"SANDBOX": "1", "QUIET_HOURS": "off"})["QUIET_HOURS"] is None
    with pytest.raises(RuntimeError):
        load_config({"SANDBOX": "1", "QUIET_HOURS": "22-7"})


def test_a_routine_update_at_23_is_delivered_at_07_and_an_urgent_one_at_once(quiet_case, monkeypatch, frozen_clock):
    stack = quiet_case.stack
    monkeypatch.setitem(stack.app.config, "QUIET_HOURS", QUIET)
    night = (clock.shanghai(clock.now()) + timedelta(days=1)).replace(hour=23, minute=0, second=0, microsecond=0)
    frozen_clock(night)

    routine = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回，相关待遇继续办理。")
    urgent = quiet_case.record("matter_rejected", "“住房公积金提取”需要补充或更正：账户已冻结",
                               matter_code="housing_fund_withdrawal")
    quiet_case.run_jobs()  # what was queued at 23:00
    assert {c for c, *_ in received(stack, urgent)} == {"sms"} and len(received(stack, urgent)) == 3
    assert received(stack, routine) == []
    assert {s for _, c, s in deliveries(stack, routine) if c == "inbox"} == {"sent"}  # the inbox never waits
    assert {s for _, c, s in deliveries(stack, routine) if c == "sms"} == {"pending"}

    for moment in (night + timedelta(hours=3), night + timedelta(hours=8, seconds=-1)):
        frozen_clock(moment)
        with stack.app.app_context():
            app.notify.delivery.sweep()
        quiet_case.run_jobs()
        assert received(stack, routine) == []

    seven = night + timedelta(hours=8)
    frozen_clock(seven)
    with stack.app.app_context():
        assert app.notify.delivery.sweep() >= 3
    quiet_case.run_jobs()
    assert len(received(stack, routine)) == 3
    assert {s for _, c, s in deliveries(stack, routine)} == {"sent"}

    from app.extensions import db
    from app.notify.models import SandboxNotification

    keys = [k for _, k, *_ in received(stack, routine)]
    with stack.app.app_context():
        times = db.session.execute(db.select(SandboxNotification.received_at)
                                   .filter(SandboxNotification.idempotency_key.in_(keys))).scalars().all()
    assert {clock.shanghai(t).strftime("%H:%M") for t in times} == {"07:00"}
