"""The printed application form (附件2 申请表) filled in from a case, for the applicant to sign.

A4, one page, laid out like 附件2 with the case's QR code (码上办) and room for the handwritten
signature. The Chinese text is set in a TrueType CJK font that is *embedded* (subset) in the
PDF, so it prints the same on any machine (``PDF_FONT_PATH``, default Debian's
``fonts-wqy-zenhei``; reportlab's built-in ``STSong-Light`` is not embedded). Characters the
font lacks (rare given-name characters) print blank: the clerk then writes them by hand.

Masking (SPEC §9): the paper is a signature record, not the data source — the full numbers stay
in the system. So the printout shows ID numbers as ``4301**********0013`` (enough for the
signer to recognise them, useless if the sheet is lost), the phone as ``138****0000`` and the
bank and social-security-card accounts as ``6200 **** **** 0017``. Names, address, dates and
the ticked choices are printed in full: the applicant signs to confirm exactly those.
"""
from __future__ import annotations

import hashlib
import io
import os
import threading
from datetime import datetime

from flask import current_app
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app import clock
from app.cases.models import Case
from app.catalogue.service import get_matter, matter_codes
from app.config import PDF_FONT_CANDIDATES
from app.errors import ServiceUnavailable
from app.extensions import db
from app.identity.models import Window
from app.masking import mask_account, mask_id_number, mask_phone
from app.qr import service as qr
from app.standards import codes
from schemas.form import COMMITMENT_TEXT  # the commitment's wording lives with the form

TITLE = "湖南省公民身后“一件事一次办”申请表"
NOTES = (
    "注：1.抚恤金领取人必须为死亡人员直系亲属，包括配偶、子女、父母、孙子女、外孙子女等。",
    "2.因死亡人员家属未及时办理《居民死亡医学证明（推断）书》，导致多划拨医疗保险个人账户金额，需将多划拨的金额"
    "退回医保部门，方可申请办理养老保险个人账户一次性待遇申领和丧葬补助金。",
    "3.死亡人员住房公积金提取需满足死亡人员无公积金抵押贷款、住房公积金账户无冻结情况。",
    "4.申请办理死亡人员户口注销的，须向工作人员交回死亡人员身份证和户口页的原件。",
)
CHECKED, UNCHECKED = "■", "□"  # in every CJK font we use; ☑/☐ are not
_LABEL_BG = colors.HexColor("#F1F1F1")
_lock = threading.Lock()


def font_path() -> str:
    """The configured TrueType CJK font, or the first candidate installed. Raises
    :class:`ServiceUnavailable` when none is (install ``fonts-wqy-zenhei``; ``.ci/run`` does)."""
    configured = current_app.config.get("PDF_FONT_PATH")
    for path in ([configured] if configured else PDF_FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    raise ServiceUnavailable("打印用中文字体未安装，暂时无法生成申请表", code="print_font_missing")


def _font() -> str:
    path = font_path()
    name = "CJK-" + hashlib.sha1(path.encode()).hexdigest()[:8]
    with _lock:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    return name


def render_application(case: Case, *, qr_link: str | None) -> bytes:
    """The filled-in 附件2 as PDF bytes (A4), with the QR code of ``qr_link`` (the case's scan
    link; ``None`` prints a placeholder). Raises :class:`ServiceUnavailable` without a font."""
    font = _font()
    styles = _styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
        title=TITLE, author="身后一件事一次办", subject=f"申请编号 {case.reference}", creator="hsyjs",
    )
    story = [
        Paragraph(TITLE, styles["title"]),
        _header(case, qr_link, styles, doc.width),
        Spacer(1, 3 * mm),
        _form_table(case, styles, doc.width),
        Spacer(1, 2 * mm),
        *[Paragraph(note, styles["note"]) for note in NOTES],
        Spacer(1, 2 * mm),
        Paragraph("本表由系统根据填报信息生成，证件号码、电话和账号已部分遮蔽，完整信息以系统记录为准。"
                  "请核对无误后由申请人本人签名。", styles["small"]),
    ]
    doc.build(story, onFirstPage=_footer(font, case), onLaterPages=_footer(font, case))
    return buffer.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=2 * mm),
        "label": ParagraphStyle("label", parent=base, alignment=TA_CENTER),
        "value": ParagraphStyle("value", parent=base, fontSize=9.5, leading=12.5),
        "tick": ParagraphStyle("tick", parent=base, fontSize=9, leading=12),
        "info": ParagraphStyle("info", parent=base, fontSize=9, leading=13),
        "note": ParagraphStyle("note", parent=base, fontSize=7.5, leading=10),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")),
        "hint": ParagraphStyle("hint", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#888888")),
    }


def _header(case: Case, qr_link: str | None, styles, width: float) -> Table:
    window = db.session.get(Window, case.window_id) if case.window_id else None
    lines = [
        f"申请编号：{case.reference}",
        f"受理窗口：{window.name if window else '掌上办（湘易办）'}",
        f"打印时间：{clock.shanghai(clock.now()):%Y年%m月%d日 %H:%M}",
        "扫描右侧二维码，可在“湘易办”查看办理进度、补充材料。",
    ]
    left = [Paragraph(_escape(line), styles["info"]) for line in lines]
    if qr_link:
        png, _ = qr.render(qr_link, fmt="png")
        right = Image(io.BytesIO(png), width=25 * mm, height=25 * mm)
    else:  # not accepted yet, or the reader is not one the QR code is shown to
        right = Paragraph("二维码请向受理窗口或申请人索取", styles["hint"])
    table = Table([[left, right]], colWidths=[width - 30 * mm, 30 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _form_table(case: Case, styles, width: float) -> Table:
    form = case.form
    a, d, c = form["applicant"], form["deceased"], form["circumstances"]

    def L(text):  # noqa: E743 - a label cell
        return Paragraph(_escape(text), styles["label"])

    def V(text):
        return Paragraph(_escape(text or ""), styles["value"])

    def ticks(chosen, options: dict, none_label: str | None = None) -> Paragraph:
        chosen = set(chosen if isinstance(chosen, (list, tuple, set)) else [chosen])
        parts = [f"{CHECKED if code in chosen else UNCHECKED}{label}" for code, label in options.items()]
        if none_label:
            parts.append(f"{CHECKED if not chosen else UNCHECKED}{none_label}")
        return Paragraph("&nbsp;&nbsp;".join(_escape(p) for p in parts), styles["tick"])

    relationship = codes.RELATIONSHIPS.get(a["relationship"], a["relationship"])
    if a.get("relationship_basis"):
        relationship += f"（{a['relationship_basis']}）"
    place = d["place_of_death"]
    hukou = d["household_registration"]
    died_at = clock.shanghai(datetime.fromisoformat(d["died_at"]))
    cause = f"{d['death_cause']}（{codes.DEATH_CAUSE_CATEGORIES.get(d['death_cause_category'], '')}）"
    requested = [code for code in matter_codes() if code in set(form.get("requested_matters") or [])]
    matters = "<br/>".join(_escape(f"{CHECKED}{get_matter(code)['name']}") for code in requested) or "—"
    signed_at = form.get("commitment", {}).get("signed_at")
    signed_on = f"{clock.shanghai(datetime.fromisoformat(signed_at)):%Y年%m月%d日}" if signed_at else ""
    rows = [
        [L("申请人姓名"), V(a["name"]), L("联系电话"), V(mask_phone(a["phone"])), L("申请人身份证号码"), "",
         V(mask_id_number(a["id_number"])), ""],
        [L("申请人地址"), V(a["address"]), "", "", L("与死亡人员关系"), "", V(relationship), ""],
        [L("死亡人员姓名"), V(d["name"]), L("性别"), V(codes.GENDERS.get(d["gender"], "")), L("年龄"),
         V(f"{d['age']} 周岁"), L("民族"), V(codes.ETHNICITIES.get(d["ethnicity"], ""))],
        [L("亡故时间"), V(f"{died_at:%Y年%m月%d日 %H时%M分}"), "", "", L("亡故原因"), "", V(cause), ""],
        [L("死亡人员身份证号码"), V(mask_id_number(d["id_number"])), "", "", "", "", "", ""],
        [L("死亡人员银行Ⅰ类帐号开户行"), V(d["bank_account"]["bank_name"]), "", "", L("死亡人员银行Ⅰ类帐号"), "",
         V(mask_account(d["bank_account"]["account_number"])), ""],
        [L("死亡人员社保卡帐号开户行"), V(d["social_security_card"]["bank_name"]), "", "", L("死亡人员社保卡帐号"), "",
         V(mask_account(d["social_security_card"]["account_number"])), ""],
        [L("死亡人员身故所在地"), V(f"{place['name']}（{codes.PLACE_OF_DEATH_KINDS.get(place['kind'], '')}）"),
         "", "", "", "", "", ""],
        [L("死亡人员户籍所在地"),
         V(f"{hukou['province']}　{hukou['city']}　{hukou['county']}　{hukou['police_station']}"), "", "", "", "", "", ""],
        [L("死亡人员享受福利、补贴待遇情况"), "", ticks(c["welfare"], codes.WELFARE, "都不是"), "", "", "", "", ""],
        [L("死亡人员是否企业职工"), "", ticks(c["is_enterprise_employee"], {True: "是", False: "否"}), "",
         L("死亡人员亡故前工作状态"), "", ticks(c["employment_status"], codes.EMPLOYMENT_STATUSES), ""],
        [L("死亡人员医保参保类型"), "", ticks(c["medical_insurance"], codes.MEDICAL_INSURANCE), "", "", "", "", ""],
        [L("死亡人员养老保险参保类型"), "", ticks(c["pension_insurance"], codes.PENSION_INSURANCE), "", "", "", "", ""],
        [L("死亡人员其他参保类型"), "", ticks(c.get("other_insurance") or [], codes.OTHER_INSURANCE), "", "", "", "", ""],
        [L("申请办理事项（可多选）"), "", Paragraph(matters, styles["value"]), "", "", "", "", ""],
        [L("申请人承诺"), "", V(COMMITMENT_TEXT), "", "", "", "", ""],
        [L("特定关系人/近亲属签名"), "", Paragraph("（请申请人本人手写签名）", styles["hint"]), "", "",
         L("申请时间"), V(signed_on), ""],
    ]
    spans = [
        ((4, 0), (5, 0)), ((6, 0), (7, 0)),
        ((1, 1), (3, 1)), ((4, 1), (5, 1)), ((6, 1), (7, 1)),
        ((1, 3), (3, 3)), ((4, 3), (5, 3)), ((6, 3), (7, 3)),
        ((1, 4), (7, 4)),
        ((1, 5), (3, 5)), ((4, 5), (5, 5)), ((6, 5), (7, 5)),
        ((1, 6), (3, 6)), ((4, 6), (5, 6)), ((6, 6), (7, 6)),
        ((1, 7), (7, 7)), ((1, 8), (7, 8)),
        ((0, 9), (1, 9)), ((2, 9), (7, 9)),
        ((0, 10), (1, 10)), ((2, 10), (3, 10)), ((4, 10), (5, 10)), ((6, 10), (7, 10)),
        ((0, 11), (1, 11)), ((2, 11), (7, 11)),
        ((0, 12), (1, 12)), ((2, 12), (7, 12)),
        ((0, 13), (1, 13)), ((2, 13), (7, 13)),
        ((0, 14), (1, 14)), ((2, 14), (7, 14)),
        ((0, 15), (1, 15)), ((2, 15), (7, 15)),
        ((0, 16), (1, 16)), ((2, 16), (4, 16)), ((6, 16), (7, 16)),
    ]
    label_cells = [(0, r) for r in range(len(rows))] + [
        (2, 0), (4, 0), (4, 1), (2, 2), (4, 2), (6, 2), (4, 3), (4, 5), (4, 6), (4, 10), (5, 16)]
    unit = width / 510
    col_widths = [w * unit for w in (84, 64, 44, 70, 46, 56, 54, 92)]
    heights = [None] * len(rows)
    heights[16] = 18 * mm  # room for the signature
    table = Table(rows, colWidths=col_widths, rowHeights=heights)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("VALIGN", (2, 16), (4, 16), "BOTTOM"),
    ]
    style += [("SPAN", start, end) for start, end in spans]
    style += [("BACKGROUND", cell, cell, _LABEL_BG) for cell in label_cells]
    table.setStyle(TableStyle(style))
    return table


def _footer(font: str, case: Case):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 7 * mm, f"申请编号 {case.reference}")
        canvas.drawRightString(doc.leftMargin + doc.width, 7 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    return draw


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
