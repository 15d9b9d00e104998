"""Fictional but well-formed citizen ID numbers (GB 11643-1999, ISO 7064 MOD 11-2 check).

The app's own copy is deliberately not imported: this package stands in for a separate client.
"""
from __future__ import annotations

import random
from datetime import date

# Weight of position i (0-based, left to right) is 2**(17-i) mod 11: 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, …
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)


def check_digit(first17: str) -> str:
    """The check character (``0``–``9`` or ``X``) for 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("need exactly 17 digits")
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def is_valid(number: str) -> bool:
    """True when ``number`` has 18 characters and its last one is the right check character."""
    number = number.strip().upper()
    return (len(number) == 18 and number[:17].isascii() and number[:17].isdigit()
            and check_digit(number[:17]) == number[17])


def make(division: str, birth: date, sequence: str) -> str:
    """The number for a 6-digit division code, a birth date and a 3-digit sequence
    (odd last sequence digit = male, even = female)."""
    if not (len(division) == 6 and division.isdigit() and len(sequence) == 3 and sequence.isdigit()):
        raise ValueError("division must be 6 digits and sequence 3 digits")
    first17 = f"{division}{birth:%Y%m%d}{sequence}"
    return first17 + check_digit(first17)


def random_number(division: str, birth: date, *, male: bool, rng: random.Random | None = None) -> str:
    """A number with a random sequence of the right parity (for a fresh fictional person)."""
    rng = rng or random.SystemRandom()
    sequence = f"{rng.randrange(0, 100):02d}{rng.choice('13579' if male else '02468')}"
    return make(division, birth, sequence)
