"""Fan-out: who is told about an event, and through which channels — exactly once each."""
from collections import Counter
from datetime import date

from tests.helpers import Api
from tests.notify.conftest import deliveries, give_consent, give_device, received


def test_an_event_with_three_bound_members_yields_one_message_per_member_per_channel(quiet_case):
    stack = quiet_case.stack
    applicant, son, niece = quiet_case.user_ids
    give_device(stack, applicant)  # the 湘易办 app
    give_consent(stack, son, "progress")  # one tick in the mini-program
    # the niece has neither: SMS

    event_id = quiet_case.record("matter_done", "“驾驶证注销”已办结", matter_code="driving_licence_cancellation",
                                 outcome={"certificate_reference": "JG-2026-0001"})

    made = Counter((user, channel) for user, channel, _ in deliveries(stack, event_id))
    assert made == {(applicant, "inbox"): 1, (applicant, "app_push"): 1, (son, "inbox"): 1,
                    (son, "mp_subscribe"): 1, (niece, "inbox"): 1, (niece, "sms"): 1}

    assert all(result == "sent" for result in quiet_case.run_jobs())
    got = Counter(channel for channel, *_ in received(stack, event_id))
    assert got == {"app_push": 1, "mp_subscribe": 1, "sms": 1}
    assert {state for *_, state in deliveries(stack, event_id)} == {"sent"}
    for index in range(3):
        inbox = quiet_case.api_for(index).get("/api/v1/me/messages", expect=200).json()
        mine = [m for m in inbox if m["case_id"] == quiet_case.case_id and m["title"] == "证件已注销"]
        assert len(mine) == 1 and mine[0]["read"] is False


def test_sms_goes_to_a_masked_recipient_and_texts_carry_no_private_numbers(quiet_case):
    stack = quiet_case.stack
    event_id = quiet_case.record(
        "matter_rejected", "“住房公积金提取”需要补充或更正：请核对账号6200000000000000017及电话13800000000",
        matter_code="housing_fund_withdrawal")
    quiet_case.run_jobs()
    rows = received(stack, event_id)
    assert {r[0] for r in rows} == {"sms"} and len(rows) == 3
    for _, _, _, recipient, text in rows:
        assert "****" in recipient
        assert "6200000000000000017" not in text and "13800000000" not in text
    inbox = quiet_case.api_for(0).get("/api/v1/me/messages", expect=200).json()
    body = next(m["body"] for m in inbox if m["case_id"] == quiet_case.case_id)
    assert "6200000000000000017" not in body and "13800000000" not in body and "请核对账号" in body


def test_payouts_are_told_only_to_the_applicant(quiet_case):
    event_id = quiet_case.record(
        "matter_done", "“丧葬补助金申领”已办结", matter_code="funeral_subsidy",
        outcome={"payout_amount_fen": 1234567, "payout_account": "6200000000000000025", "currency": "CNY"})
    told = {user for user, _, _ in deliveries(quiet_case.stack, event_id)}
    assert told == {quiet_case.user_ids[0]}
    inbox = quiet_case.api_for(0).get("/api/v1/me/messages", expect=200).json()
    assert any("12,345.67元" in m["body"] for m in inbox if m["case_id"] == quiet_case.case_id)


def test_pending_and_removed_members_are_not_told(quiet_case):
    from app.cases.models import CaseMember
    from app.extensions import db

    with quiet_case.stack.app.app_context():
        db.session.execute(db.update(CaseMember).where(CaseMember.case_id == quiet_case.case_id,
                                                       CaseMember.user_id == quiet_case.user_ids[2])
                           .values(status="pending"))
        db.session.commit()
    event_id = quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回，相关待遇继续办理。")
    assert {user for user, _, _ in deliveries(quiet_case.stack, event_id)} == set(quiet_case.user_ids[:2])


def test_the_completion_message_is_sent_once_per_member(quiet_case):
    first = quiet_case.record("case_completed", "王建国的身后事项已全部办结。")
    again = quiet_case.record("case_completed", "王建国的身后事项已全部办结。")
    assert Counter(channel for _, channel, _ in deliveries(quiet_case.stack, first)) == {"inbox": 3, "sms": 3}
    assert deliveries(quiet_case.stack, again) == []


def test_events_the_caller_keeps_quiet_tell_nobody_but_reach_the_timeline(quiet_case):
    event_id = quiet_case.record("matter_dispatched", "已推送", matter_code="hukou_cancellation", notify=False)
    assert deliveries(quiet_case.stack, event_id) == []
    timeline = quiet_case.api_for(0).get(f"/api/v1/cases/{quiet_case.case_id}/timeline", expect=200).json()
    assert timeline[-1]["id"] == event_id


def test_a_family_member_registers_a_device_and_pushes_then_go_to_the_app(quiet_case):
    daughter = quiet_case.api_for(0)
    daughter.post("/api/v1/me/devices", json={"push_token": "app-token-0001"}, expect=201)
    event_id = quiet_case.record("supplement_completed", "您补充的材料已收齐，相关事项将继续办理。")
    mine = {channel for user, channel, _ in deliveries(quiet_case.stack, event_id) if user == quiet_case.user_ids[0]}
    assert mine == {"inbox", "app_push"}
    daughter.request("DELETE", "/api/v1/me/devices", json={"push_token": "app-token-0001"}, expect=204)
    later = quiet_case.record("supplement_completed", "您补充的材料已收齐。")
    mine = {channel for user, channel, _ in deliveries(quiet_case.stack, later) if user == quiet_case.user_ids[0]}
    assert mine == {"inbox", "sms"}


def test_effective_dates_appear_in_plain_chinese(quiet_case):
    event_id = quiet_case.record("matter_done", "老年人福利补贴终止已办结", matter_code="elderly_subsidy_termination",
                                 outcome={"effective_date": "2026-02-01"}, effective_date=date(2026, 2, 1))
    quiet_case.run_jobs()
    texts = {text for *_, text in received(quiet_case.stack, event_id)}
    assert texts == {"“老年人福利补贴终止”已办结，相关待遇自2026年2月1日起停发，无需您再办理。"}


def test_inbox_messages_can_be_marked_read(quiet_case):
    quiet_case.record("refund_settled", "医保部门已确认多划拨金额退回，相关待遇继续办理。")
    niece: Api = quiet_case.api_for(2)
    message = next(m for m in niece.get("/api/v1/me/messages", expect=200).json() if m["case_id"] == quiet_case.case_id)
    assert niece.post(f"/api/v1/me/messages/{message['id']}/read", expect=200).json()["read"] is True
