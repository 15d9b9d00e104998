"""GB 11643 / ISO 7064 MOD 11-2 check characters of the client's own ID-number helper.

The expected values are worked out by hand below (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
check = "10X98765432"[sum mod 11]), not taken from the app.
"""
import random
from datetime import date

import pytest

from mp_client_stub import idnumber


def test_weights_are_the_standard_ones():
    assert idnumber.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        # The GB 11643-1999 annex example 11010519491231002X: weighted sum 167, 167 mod 11 = 2 → X.
        ("11010519491231002", "X"),
        # 440102 19900101 001: 28+36+0+5+0+8+2+9+54+0+0+9+0+5+0+0+2 = 158, 158 mod 11 = 4 → 8.
        ("44010219900101001", "8"),
        # 430104 19480312 211: 28+27+0+5+0+16+2+9+24+24+0+27+10+10+16+4+2 = 204, 204 mod 11 = 6 → 6.
        ("43010419480312211", "6"),
        # All zeros: sum 0 → 1.
        ("00000000000000000", "1"),
        # sum 10 (a single 1 in the 5th position, weight 8 → 8; plus 1 in the 8th, weight 1 → 9;
        # plus 1 in the 17th, weight 2 → 11 ≡ 0) → 1.
        ("00001001000000001", "1"),
        # A single 1 in the 3rd position (weight 10): sum 10 → 2.
        ("00100000000000000", "2"),
    ],
)
def test_known_check_characters(first17, check):
    assert idnumber.check_digit(first17) == check


def test_every_remainder_maps_to_its_check_character():
    # A single digit d in the 8th position (weight 1) gives sum d; a 1 in the 3rd adds 10.
    for total in range(11):
        digits = ["0"] * 17
        if total == 10:
            digits[2] = "1"
        else:
            digits[7] = str(total)
        assert idnumber.check_digit("".join(digits)) == "10X98765432"[total]


def test_make_and_is_valid():
    number = idnumber.make("430104", date(1948, 3, 12), "211")
    assert number == "430104194803122116"
    assert idnumber.is_valid(number)
    assert idnumber.is_valid(" 11010519491231002x ")
    assert not idnumber.is_valid("430104194803122110")
    assert not idnumber.is_valid("11010519491231002Y")
    assert not idnumber.is_valid("43010419480312211")


def test_random_number_has_the_right_shape_and_parity():
    rng = random.Random(7)
    for _ in range(200):
        male = idnumber.random_number("430104", date(1948, 3, 12), male=True, rng=rng)
        female = idnumber.random_number("430102", date(1975, 6, 18), male=False, rng=rng)
        assert male.startswith("43010419480312") and int(male[16]) % 2 == 1 and idnumber.is_valid(male)
        assert female.startswith("43010219750618") and int(female[16]) % 2 == 0 and idnumber.is_valid(female)


@pytest.mark.parametrize("bad", ["1234", "1101051949123100A", "110105194912310021"])
def test_check_digit_refuses_anything_but_17_digits(bad):
    with pytest.raises(ValueError):
        idnumber.check_digit(bad)
