"""What the family is told about each kind of timeline event, in plain, gentle Chinese (SPEC §8).

One :class:`Template` per event kind (a few kinds have variants, e.g. a payout and a stopped
benefit are both ``matter_done``). A template says who is told (every active member, or only
the applicant for payouts and private matters), whether the news is pushed or only put in the
inbox, whether it is urgent (it then ignores quiet hours), and which mini-program subscribe
template carries it. No text carries an ID, bank, card or phone number: the texts use only
names of matters and departments, yuan amounts and dates, and :func:`scrub` masks any run of 7
or more digits that a free-text field (a department's reason, a clerk's note) might bring in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from app import clock
from app.catalogue.service import department_name, get_matter
from app.masking import LONG_NUMBER


@dataclass(frozen=True)
class Template:
    title: str
    push: str | None  # app push and SMS text; ``None`` = inbox only
    inbox: str | None = None  # inbox text; ``None`` = the event's own summary (scrubbed)
    urgent: bool = False
    applicant_only: bool = False
    mp_template: str = "progress"
    phrase: str = "有更新"  # mini-program ``phrase`` field: the state in ≤ 5 Chinese characters
    tip: str = "请打开应用查看详情"  # mini-program ``thing`` field: what to do, ≤ 20 characters
    once_per_case: bool = False


#: Mini-program subscribe-message templates (logical ids; ``MP_TEMPLATE_IDS`` maps them to the
#: platform's ids). Field keys follow the platform's kinds: ``thing`` ≤ 20 characters, ``phrase``
#: ≤ 5 Chinese characters, ``time`` a time, ``character_string`` ≤ 32 letters, digits or symbols.
MP_TEMPLATES = {
    "progress": {"name": "办理进度通知", "fields": {"thing1": "办理事项", "phrase2": "办理状态", "time3": "更新时间",
                                                   "thing4": "温馨提示"}},
    "action": {"name": "待办事项提醒", "fields": {"thing1": "办理事项", "thing2": "需要您做的", "time3": "提醒时间"}},
    "completed": {"name": "办结通知", "fields": {"thing1": "办理事项", "phrase2": "办理状态", "time3": "办结时间",
                                                "thing4": "温馨提示"}},
}

GENERIC_PUSH = "您的申请有新的办理进度，请打开应用查看。"

TEMPLATES: dict[str, Template] = {
    "case_submitted": Template("申请已提交", None, inbox="您的申请已提交，我们正在审核，审核通过后会告诉您。"),
    "case_accepted": Template(
        "申请已受理", "您的申请已受理，相关部门将联合办理，每一步进展都会告诉您。",
        inbox="您的申请已受理，相关部门将联合办理，每一步进展都会在这里告诉您。", phrase="已受理"),
    "accepted_with_missing_materials": Template(
        "尚需补充材料", "您的申请已受理，还需要补充一些材料，请打开应用查看。", mp_template="action",
        tip="请在应用中查看需补充的材料"),
    "supplement_requested": Template(
        "请补充材料", "窗口请您补充一些材料，请打开应用查看需要补充什么。", urgent=True, mp_template="action",
        tip="请按提示补充材料"),
    "supplement_completed": Template("材料已收齐", "您补充的材料已收齐，相关事项将继续办理。", phrase="已收齐"),
    "originals_handed_in": Template("原件已交回", None),
    "material_recorded": Template("材料已登记", None),
    "village_committee_started": Template(
        "死亡证明开具已发起", "村（居）委会已发起死亡医学证明开具，卫生服务机构将与您联系确认。", phrase="已发起"),
    "matter_accepted": Template("部门已受理", None, phrase="已受理"),
    # 湘民发〔2022〕57号 二(四)2: the funeral home contacts the family on the day it accepts.
    "matter_accepted:cremation_certificate": Template(
        "殡仪馆将与您联系", "殡仪馆已受理火化证明的办理，工作人员今天会与您联系预约火化，请留意来电。",
        inbox="殡仪馆已受理“{matter}”，工作人员今天会与您联系预约火化时间，请留意来电。", urgent=True,
        mp_template="action", tip="请留意殡仪馆来电"),
    "matter_done": Template("事项已办结", "“{matter}”已办结。", inbox="“{matter}”已由{department}办结。",
                            phrase="已办结"),
    "matter_done:payout": Template(
        "款项已核定", "“{matter}”已办结，款项将发放至逝者本人账户，金额请在应用中查看。",
        inbox="“{matter}”已办结，{amount}元将发放至逝者本人的社保卡或银行账户。", applicant_only=True,
        phrase="已办结", tip="金额请在应用中查看"),
    "matter_done:stopped": Template(
        "待遇已停发", "“{matter}”已办结，相关待遇自{effective}起停发，无需您再办理。", phrase="已办结",
        tip="无需您再办理"),
    "matter_done:cancelled": Template(
        "证件已注销", "“{matter}”已办结，无需您再办理。", inbox="“{matter}”已由{department}办结，无需您再办理。",
        phrase="已注销", tip="无需您再办理"),
    "matter_rejected": Template(
        "事项需要您处理", "“{matter}”需要您补充或更正信息，请打开应用查看原因。", urgent=True,
        mp_template="action", tip="请查看原因并补充或更正"),
    "matter_not_applicable": Template("事项无需办理", "经核查，“{matter}”无需办理，请打开应用查看说明。",
                                      phrase="无需办理"),
    "refund_required": Template(
        "需要先退回一笔款项", "医保个人账户有一笔多划拨的款项需要先退回，医保部门会联系您办理。", urgent=True,
        applicant_only=True, mp_template="action", tip="请留意医保部门的联系"),
    "refund_settled": Template("款项退回已确认", "医保部门已确认款项退回，相关待遇继续办理。", phrase="已确认"),
    "case_completed": Template(
        "全部事项已办结", "{deceased}的身后事项已全部办结，各部门的办理结果已汇总，请在应用中查看。",
        inbox="{deceased}的身后事项已全部办结。各部门确认的结果（停发的待遇、注销的证件、发放的款项）"
              "已汇总成办结告知，请在应用中查看。感谢您的耐心，请多保重。",
        mp_template="completed", phrase="已办结", tip="请在应用中查看办结告知", once_per_case=True),
    "member_bound": Template("已关联申请", None),
    "join_requested": Template("有家人申请查看进度", "有家人申请查看此申请的办理进度，请在应用中确认。",
                               applicant_only=True, mp_template="action", tip="请在应用中确认"),
    "member_joined": Template("家人已加入", None),
}


@dataclass(frozen=True)
class Rendered:
    """A template filled in for one event: the texts every recipient gets."""

    kind: str
    title: str
    body: str
    push_text: str | None
    urgent: bool
    applicant_only: bool
    mp_template: str
    mp_fields: dict
    once_per_case: bool


def scrub(text: str) -> str:
    """Replace whole any run of 7 or more digits (``app.masking.LONG_NUMBER``: spaces or hyphens
    between them allowed) with ＊＊＊: no ID, bank, card or phone number, not even part of one,
    reaches a message, whatever a free-text field carried (SPEC §8)."""
    return LONG_NUMBER.sub("＊＊＊", text)


def yuan(fen: int) -> str:
    """12345 fen → '123.45' (integer arithmetic, thousands separated: never a 7-digit run)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def chinese_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def variant(kind: str, matter) -> str:
    """The template key for an event: ``kind``, or ``kind:variant`` when one exists."""
    if matter is None:
        return kind
    if kind == "matter_done":
        outcome = matter.outcome or {}
        if outcome.get("payout_amount_fen") is not None:
            return "matter_done:payout"
        if matter.code.endswith("_termination") and matter.effective_date:
            return "matter_done:stopped"
        if matter.code.endswith("_cancellation"):
            return "matter_done:cancelled"
    specific = f"{kind}:{matter.code}"
    return specific if specific in TEMPLATES else kind


def render(event, *, case, matter=None, fallback_title: str = "办理进度更新") -> Rendered:
    """Fill in the template for ``event`` (an :class:`app.cases.models.Event`) of ``case``.

    Unknown kinds get a generic push and the event's summary (scrubbed) in the inbox, so a new
    kind of event never goes unreported. Times are Asia/Shanghai.
    """
    key = variant(event.kind, matter)
    template = TEMPLATES.get(key) or Template(fallback_title, GENERIC_PUSH)
    values = _values(case, matter)
    body = scrub(template.inbox.format_map(values) if template.inbox else event.summary)
    push = scrub(template.push.format_map(values)) if template.push else None
    at = event.created_at or clock.now()
    return Rendered(
        kind=event.kind,
        title=scrub(template.title)[:40],
        body=body[:300],
        push_text=push[:120] if push else None,
        urgent=template.urgent,
        applicant_only=template.applicant_only,
        mp_template=template.mp_template,
        mp_fields=mp_fields(template, subject=values["matter"] or "身后一件事联办", at=at),
        once_per_case=template.once_per_case,
    )


def _values(case, matter) -> dict:
    values = {"deceased": case.deceased_name, "matter": "", "department": "", "amount": "", "effective": ""}
    if matter is not None:
        values["matter"] = get_matter(matter.code)["name"]
        values["department"] = department_name(matter.department)
        outcome = matter.outcome or {}
        if outcome.get("payout_amount_fen") is not None:
            values["amount"] = yuan(outcome["payout_amount_fen"])
        if matter.effective_date:
            values["effective"] = chinese_date(matter.effective_date)
    return {k: scrub(str(v)) for k, v in values.items()}


def mp_fields(template: Template, *, subject: str, at: datetime) -> dict:
    """The subscribe message's fields for ``template.mp_template``, each within its limit."""
    source = {"thing1": subject, "phrase2": template.phrase, "thing2": template.tip, "thing4": template.tip,
              "time3": clock.shanghai(at).strftime("%Y年%m月%d日 %H:%M")}
    keys = MP_TEMPLATES[template.mp_template]["fields"]
    return {key: fit_field(key, source[key]) for key in keys}


_PHRASE = re.compile(r"[\u4e00-\u9fff]")
_CHARACTER_STRING = re.compile(r"[\x21-\x7e]")


def fit_field(key: str, value: str) -> str:
    """Cut ``value`` to the platform's limit for the field kind named by ``key``'s prefix.

    ``thing``: ≤ 20 characters (a longer one ends in …); ``phrase``: ≤ 5 Chinese characters, others
    dropped; ``character_string``: ≤ 32 printable ASCII characters; ``time``: as given. Python
    strings are cut by code point, so a character is never split.
    """
    value = scrub(value)
    if key.startswith("thing"):
        return value if len(value) <= 20 else value[:19] + "…"
    if key.startswith("phrase"):
        return "".join(_PHRASE.findall(value))[:5]
    if key.startswith("character_string"):
        return "".join(_CHARACTER_STRING.findall(value))[:32]
    return value
