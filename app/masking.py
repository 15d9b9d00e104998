"""Masks for private numbers in every answer, push text and log line (SPEC §9).

ID number 430104194803120013 → 4301**********0013; bank or card number → 6222 **** **** 0001;
phone 13800000000 → 138****0000.
"""
from __future__ import annotations

import re


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_account(value: str | None) -> str | None:
    if not value:
        return value
    return f"{value[:4]} **** **** {value[-4:]}" if len(value) > 8 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)


#: A run of 7 or more digits — an ID, bank, card or phone number — with single spaces (also
#: ideographic ones), tabs, line breaks or dashes allowed between the digits and an ID number's
#: final ``X``. The one definition the answer masks, the log scrubber
#: (``app.observability.logs.scrub``) and the push-text scrubber (``app.notify.templates.scrub``) share.
LONG_NUMBER = re.compile(r"\d(?:[\s\-]?\d){6,}[Xx]?")


def mask_number_run(run: str) -> str:
    """One matched run with its first 3 and last 2 digits kept: ``138-0000-0000`` → ``138******00``."""
    digits = re.sub(r"[^0-9Xx]", "", run)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_numbers_in_text(text: str | None) -> str | None:
    """Free text (e.g. a family's comment) with every run of 7 or more digits masked except its
    first 3 and last 2 digits: 电话13800000000 → 电话138******00. Spaces and dashes inside a
    number count as part of it; shorter numbers (dates, amounts) are kept."""
    if not text:
        return text
    return LONG_NUMBER.sub(lambda match: mask_number_run(match[0]), text)
