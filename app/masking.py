"""Masks for private numbers in every answer, push text and log line (SPEC §9).

ID number 430104194803120013 → 4301**********0013; bank or card number → 6222 **** **** 0001;
phone 13800000000 → 138****0000.
"""
from __future__ import annotations


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
