"""Citizen identification numbers (公民身份号码), GB 11643-1999.

Shape: 6-digit division code (GB/T 2260, where the number was first issued) + 8-digit birth date
(YYYYMMDD) + 3-digit sequence (odd last digit = male) + 1 check character over the first 17
digits, ISO 7064 MOD 11-2, written ``0``–``9`` or ``X`` (for 10).
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, …
_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
_EARLIEST_BIRTH_YEAR = 1900


class InvalidIdNumber(ValueError):
    """The text is not a valid GB 11643 number; ``str(error)`` is a plain Chinese message."""


def normalize_id_number(raw: str) -> str:
    """``raw`` without surrounding blanks and with a lowercase ``x`` written ``X``."""
    return raw.strip().replace("x", "X")


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) for 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_id_number(raw: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character number, or raise :class:`InvalidIdNumber`.

    Checks, in order: 18 characters; 17 digits then a digit or ``X``; a real birth date with
    year 1900..``today`` (default: today in Asia/Shanghai); the check character.
    """
    if not isinstance(raw, str):
        raise InvalidIdNumber("身份证号码格式不正确")
    number = normalize_id_number(raw)
    if len(number) != 18:
        raise InvalidIdNumber(f"身份证号码应为 18 位，现在是 {len(number)} 位")
    if not (number[:17].isascii() and number[:17].isdigit() and number[17] in "0123456789X"):
        raise InvalidIdNumber("身份证号码前 17 位应为数字，最后一位为数字或 X")
    try:
        born = birth_date(number)
    except ValueError:
        raise InvalidIdNumber("身份证号码中的出生日期（第 7–14 位）不是真实的日期") from None
    today = today or datetime.now(ZoneInfo("Asia/Shanghai")).date()
    if born.year < _EARLIEST_BIRTH_YEAR or born > today:
        raise InvalidIdNumber("身份证号码中的出生日期（第 7–14 位）不在合理范围内")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("身份证号码最后一位校验码不对，请核对是否有数字输错")
    return number


def birth_date(id_number: str) -> date:
    """The birth date in characters 7–14; ``ValueError`` if it is not a real date."""
    digits = id_number[6:14]
    if not (len(digits) == 8 and digits.isascii() and digits.isdigit()):
        raise ValueError("no birth date in this ID number")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def gender_code(id_number: str) -> str:
    """GB/T 2261.1 gender from the 17th character: ``'1'`` 男 when odd, ``'2'`` 女 when even."""
    return "1" if int(id_number[16]) % 2 == 1 else "2"


def age_on(id_number: str, on: date) -> int:
    """Completed years (周岁) on the date ``on``; someone born on 29 February turns a year
    older on 1 March in a common year."""
    born = birth_date(id_number)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def make_id_number(division6: str, birth: date, seq3: str) -> str:
    """A well-formed number for fictional people in tests and demos: the division code, the
    birth date and the 3-digit sequence (odd last digit = male), with its check character."""
    if not (len(division6) == 6 and division6.isdigit() and len(seq3) == 3 and seq3.isdigit()):
        raise ValueError("division6 must be 6 digits and seq3 3 digits")
    first17 = f"{division6}{birth:%Y%m%d}{seq3}"
    return first17 + check_character(first17)
