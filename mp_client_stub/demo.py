"""The journey of SPEC §11 over HTTP, as a window clerk and the mobile app would play it.

1. The clerk 李窗口 signs in, previews eligibility for the worked example and files the case.
2. The clerk gets what the case's QR code encodes.
3. The daughter 王丽 signs in through the (sandbox) platform, scans the code, sees the masked
   preview and binds herself to the case.
4. She watches the case until every matter is finished (or the timeout passes), printing each
   status change as it happens.
5. The case, its timeline and her inbox are printed.
6. The completion letter (which department confirmed what) is printed; the outcome is checked.

Exit codes: 0 all 11 expected matters done and the elderly-subsidy termination effective
2026-02-01; 1 anything else; 2 the server is not reachable.
"""
from __future__ import annotations

import time
from datetime import datetime
from typing import Callable
from urllib.parse import parse_qs, urlparse

from mp_client_stub import worked_example
from mp_client_stub.client import ApiClient, ApiError, ServerUnreachable

EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 2
FINAL_STATUSES = {"done", "not_applicable"}

# Local fallbacks for when an answer carries no Chinese name.
MATTER_STATUS_NAMES = {"waiting": "等待中", "dispatched": "已推送", "accepted": "部门已受理", "done": "已办结",
                       "rejected": "已退回", "not_applicable": "无需办理"}
CASE_STATUS_NAMES = {"draft": "草稿", "submitted": "已提交", "accepted": "已受理", "in_progress": "联办中",
                     "completed": "已办结", "withdrawn": "已撤回"}
ELIGIBILITY_NAMES = {"applies": "可申请", "automatic": "自动办理", "not_applicable": "不适用"}
ACTOR_NAMES = {"family": "家属", "staff": "工作人员", "department": "部门", "system": "系统"}
MEMBERSHIP_NAMES = {"applicant": "申请人", "member": "家庭成员", "pending": "待申请人同意"}


def fen_to_yuan(fen: int) -> str:
    """12345 → '123.45 元' (integer arithmetic, no float rounding)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"


def short_time(value: str | None, *, seconds: bool = False) -> str:
    """An ISO 8601 time as '2026-01-31 09:30' (or with seconds); the text unchanged if it does not parse."""
    if not value:
        return "—"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    except ValueError:
        return value


def _matter_status(m: dict) -> str:
    return m.get("status_name") or MATTER_STATUS_NAMES.get(m.get("status"), m.get("status", "?"))


def _case_status(c: dict) -> str:
    return c.get("status_name") or CASE_STATUS_NAMES.get(c.get("status"), c.get("status", "?"))


class Journey:
    def __init__(self, base_url: str, *, timeout: float, username: str, password: str,
                 out: Callable[[str], None] = print, poll_interval: float = 1.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.username = username
        self.password = password
        self.out = out
        self.poll_interval = poll_interval
        self.clerk = ApiClient(self.base_url)
        self.family = ApiClient(self.base_url)

    # --- the steps -------------------------------------------------------------------------

    def file_case(self) -> dict:
        out = self.out
        login = self.clerk.staff_login(self.username, self.password)
        staff = login.get("staff") or {}
        out(f"【1】窗口工作人员 {staff.get('display_name', self.username)} 登录"
            f"（窗口：{staff.get('window_name') or staff.get('window_id') or '—'}）")
        form = worked_example.form()
        out(f"    逝者：{form['deceased']['name']}，身份证号 {form['deceased']['id_number']}（虚构，每次随机）；"
            f"申请人：{form['applicant']['name']}（女儿）")

        preview = self.clerk.eligibility(form)
        out("    提交前预判（可办事项）：")
        for m in preview.get("matters", []):
            mark = "✔" if m.get("will_create") else "·"
            line = f"      {mark} {m.get('name', m.get('code'))}（{m.get('department_name', '')}）" \
                   f"— {ELIGIBILITY_NAMES.get(m.get('status'), m.get('status'))}"
            if m.get("reason"):
                line += f"：{m['reason']}"
            out(line)
        blocked = preview.get("blocked") or {}
        if blocked:
            for code, reason in blocked.items():
                out(f"    ✘ 所申请的 {code} 不符合条件：{reason}")
            raise JourneyFailed("预判显示有所申请的事项不符合条件 / requested matters are blocked")

        case = self.clerk.create_case(form, materials_received=worked_example.MATERIALS_RECEIVED)
        out(f"    已受理：申请编号 {case.get('reference')}，状态 {_case_status(case)}，"
            f"共 {len(case.get('matters', []))} 个事项")
        return case

    def qr_token(self, case_id: str) -> str:
        try:
            answer = self.clerk.qrcode_link(case_id)
        except ApiError as exc:
            if exc.status in (400, 404, 415, 422):
                raise JourneyFailed(
                    "服务器未提供二维码链接（GET /api/v1/cases/{id}/qrcode?format=json）。"
                    f" / The server does not offer the QR link as JSON: {exc}") from exc
            raise
        token = answer.get("token") or (parse_qs(urlparse(answer.get("link", "")).query).get("scene") or [None])[0]
        if not token:
            raise JourneyFailed(f"二维码链接中没有 scene 参数 / no scene token in {answer!r}")
        self.out(f"【2】申请二维码：{answer.get('link', '')}")
        return token

    def family_binds(self, token: str) -> str:
        out = self.out
        a = worked_example.APPLICANT
        code = self.family.sandbox_login_code(name=a["name"], id_number=a["id_number"], phone=a["phone"])
        self.family.platform_login(code)
        out(f"【3】{a['name']} 通过湘易办（沙箱平台）登录，扫描二维码")
        preview = self.family.scan(token)
        kind = "申请二维码" if preview.get("kind") == "case" else "窗口办事码"
        out(f"    扫码预览：{kind}；窗口 {preview.get('window_name') or '—'}；"
            f"逝者 {preview.get('deceased_masked_name', '—')}")
        bound = self.family.bind(token)
        out(f"    已关联：身份 {MEMBERSHIP_NAMES.get(bound.get('membership'), bound.get('membership'))}")
        return bound["case_id"]

    def watch(self, case_id: str) -> dict:
        out = self.out
        out(f"【4】跟踪办理进度（每秒刷新，最长 {self.timeout:g} 秒）")
        start = time.monotonic()
        seen: dict[str, str] = {}
        case_status = None
        while True:
            case = self.family.case(case_id)
            elapsed = time.monotonic() - start
            if case.get("status") != case_status:
                out(f"    [{elapsed:5.1f}s] 申请状态：{_case_status(case)}")
                case_status = case.get("status")
            for m in case.get("matters", []):
                key = m.get("id") or m["code"]
                if seen.get(key) != m.get("status"):
                    before = seen.get(key)
                    arrow = f"{MATTER_STATUS_NAMES.get(before, before)} → " if before else ""
                    out(f"    [{elapsed:5.1f}s] {m.get('name', m['code'])}：{arrow}{_matter_status(m)}")
                    seen[key] = m.get("status")
            matters = case.get("matters", [])
            if matters and all(m.get("status") in FINAL_STATUSES for m in matters):
                out(f"    全部事项已办结，用时 {elapsed:.1f} 秒")
                return case
            if elapsed >= self.timeout:
                out(f"    已等待 {self.timeout:g} 秒，仍有事项未办结")
                return case
            time.sleep(self.poll_interval)

    def report(self, case: dict) -> None:
        out = self.out
        out("【5】申请详情")
        deceased, applicant = case.get("deceased") or {}, case.get("applicant") or {}
        out(f"    申请编号 {case.get('reference')}　状态 {_case_status(case)}　受理时间 {short_time(case.get('accepted_at'))}")
        out(f"    逝者 {deceased.get('name', '—')}（{deceased.get('id_number', '—')}）　"
            f"申请人 {applicant.get('name', '—')}（{applicant.get('phone', '—')}）")
        for i, m in enumerate(case.get("matters", []), 1):
            out(f"    {i:2d}. {m.get('name', m['code'])}")
            out(f"        部门：{m.get('department_name') or m.get('department') or '—'}　状态：{_matter_status(m)}")
            out(f"        时限：{self._due(m)}")
            out(f"        结果：{self._outcome(m)}")
        out("    时间线：")
        for e in self.family.timeline(case["id"]):
            out(f"      {short_time(e.get('created_at'), seconds=True)}　[{ACTOR_NAMES.get(e.get('actor'), e.get('actor'))}]　"
                f"{e.get('summary', '')}")
        out("    消息：")
        messages = [m for m in self.family.my_messages() if m.get("case_id") in (None, case["id"])]
        for msg in messages:
            flag = "已读" if msg.get("read") else "未读"
            out(f"      {short_time(msg.get('created_at'), seconds=True)}　（{flag}）{msg.get('title', '')}：{msg.get('body', '')}")
        if not messages:
            out("      （没有消息）")

    def summary(self, case_id: str) -> None:
        """【6】 the completion letter; a server without it is reported, not failed (the verdict is the matters')."""
        out = self.out
        out("【6】办结告知（各部门确认的结果）")
        try:
            letter = self.family.case_summary(case_id)
        except ApiError as exc:
            out(f"    （无法取得办结告知：{exc}）")
            return
        out(f"    {letter.get('text', '')}")
        for dept in letter.get("departments", []):
            out(f"    {dept.get('department_name') or dept.get('department')}：")
            for item in dept.get("confirmations", []):
                out(f"      · {item.get('statement') or item.get('matter_name')}")
        if letter.get("paid_total_fen") is not None:
            out(f"    发放合计：{fen_to_yuan(letter['paid_total_fen'])}（{letter['paid_total_fen']} 分）")

    @staticmethod
    def _due(m: dict) -> str:
        parts = []
        if m.get("due_at"):
            parts.append(f"{short_time(m['due_at'])} 前办结")
        elif m.get("due_state_name"):
            parts.append(m["due_state_name"])
        if m.get("deadline_rule"):
            parts.append(f"（{m['deadline_rule']}）")
        return "".join(parts) or "—"

    @staticmethod
    def _outcome(m: dict) -> str:
        o = m.get("outcome") or {}
        parts = []
        if o.get("certificate_reference"):
            parts.append(f"证明编号 {o['certificate_reference']}")
        if o.get("payout_amount_fen") is not None:
            parts.append(f"发放 {fen_to_yuan(o['payout_amount_fen'])}")
        if o.get("payout_account"):
            parts.append(f"至账户 {o['payout_account']}")
        effective = m.get("effective_date") or o.get("effective_date")
        if effective:
            parts.append(f"自 {effective} 起生效")
        if o.get("note"):
            parts.append(o["note"])
        if m.get("reason"):
            parts.append(m["reason"])
        return "；".join(parts) or "—"

    # --- the verdict -----------------------------------------------------------------------

    @staticmethod
    def problems(case: dict) -> list[str]:
        """What differs from the expected end of SPEC §11 (empty when all is as expected)."""
        by_code = {m["code"]: m for m in case.get("matters", [])}
        found = []
        for code in worked_example.EXPECTED_MATTERS:
            m = by_code.get(code)
            if m is None:
                found.append(f"缺少事项 {code} / matter missing")
            elif m.get("status") != "done":
                found.append(f"{m.get('name', code)}（{code}）未办结：{_matter_status(m)} / status {m.get('status')}")
        for code, expected in worked_example.EXPECTED_EFFECTIVE_DATES.items():
            m = by_code.get(code)
            if m is not None:
                actual = m.get("effective_date") or (m.get("outcome") or {}).get("effective_date")
                if actual != expected:
                    found.append(f"{m.get('name', code)}（{code}）生效日期为 {actual}，应为 {expected}"
                                 f" / effective_date {actual}, expected {expected}")
        for code in sorted(set(by_code) - set(worked_example.EXPECTED_MATTERS)):
            found.append(f"多出意外的事项 {code} / unexpected matter")
        return found

    def run(self) -> int:
        case = self.file_case()
        token = self.qr_token(case["id"])
        case_id = self.family_binds(token)
        if case_id != case["id"]:
            raise JourneyFailed(f"关联到了另一个申请 / bound to {case_id}, filed {case['id']}")
        final = self.watch(case_id)
        self.report(final)
        self.summary(case_id)
        problems = self.problems(final)
        if problems:
            self.out("✘ 未达到预期结果 / the journey did not end as expected:")
            for p in problems:
                self.out(f"    - {p}")
            return EXIT_FAILED
        self.out(f"✔ 全部 {len(worked_example.EXPECTED_MATTERS)} 个事项已办结，"
                 f"老年人福利补贴自 {worked_example.EXPECTED_EFFECTIVE_DATES['elderly_subsidy_termination']} 起停发。"
                 " / All matters done as expected.")
        return EXIT_OK


class JourneyFailed(Exception):
    """The journey cannot go on; the message says why (Chinese / English)."""


def run(base_url: str, *, timeout: float = 120.0, username: str = "clerk.cs",
        password: str = "sandbox-pass-2026", out: Callable[[str], None] = print) -> int:
    """Play the journey; return the exit code (0 ok, 1 failed, 2 server unreachable)."""
    try:
        return Journey(base_url, timeout=timeout, username=username, password=password, out=out).run()
    except ServerUnreachable as exc:
        out(f"✘ 无法连接服务器 {base_url}。请先在另一个终端运行 make run。\n"
            f"  Cannot reach the server at {base_url}. Start it first with `make run` in another terminal.\n"
            f"  ({exc})")
        return EXIT_UNREACHABLE
    except ApiError as exc:
        out(f"✘ 接口返回错误 / the API refused a request:\n  {exc}")
        return EXIT_FAILED
    except JourneyFailed as exc:
        out(f"✘ {exc}")
        return EXIT_FAILED
