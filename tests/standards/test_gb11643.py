from datetime import date

import pytest

from app.standards.gb11643 import (
    InvalidIdNumber, age_on, birth_date, check_character, gender_code, make_id_number,
    normalize_id_number, validate_id_number,
)

# The sample number printed in GB 11643-1999 itself.
STANDARD_SAMPLE = "11010519491231002X"


def test_check_character_of_the_standards_sample_is_x():
    assert check_character(STANDARD_SAMPLE[:17]) == "X"


def test_normalize_strips_blanks_and_uppercases_x():
    assert normalize_id_number("  11010519491231002x \n") == STANDARD_SAMPLE


def test_validate_returns_the_normalised_number():
    assert validate_id_number("11010519491231002x") == STANDARD_SAMPLE


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("11010519491231002", "18 位"),
        ("11010519491231002X1", "18 位"),
        ("1101051949123100A2", "前 17 位应为数字"),
        ("110105194912310021", "校验码"),
        ("110105194902300021", "不是真实的日期"),
        ("110105189912310021", "不在合理范围内"),
    ],
)
def test_validate_refuses_with_a_chinese_message_naming_the_problem(raw, words):
    with pytest.raises(InvalidIdNumber, match=words):
        validate_id_number(raw)


def test_validate_refuses_a_birth_date_after_today():
    number = make_id_number("430104", date(2026, 12, 1), "011")
    with pytest.raises(InvalidIdNumber, match="不在合理范围内"):
        validate_id_number(number, today=date(2026, 11, 30))
    assert validate_id_number(number, today=date(2026, 12, 1)) == number


def test_validate_refuses_non_text():
    with pytest.raises(InvalidIdNumber):
        validate_id_number(110105194912310021)


def test_invalid_id_number_is_a_value_error():
    assert issubclass(InvalidIdNumber, ValueError)


def test_make_id_number_builds_a_number_that_validates():
    number = make_id_number("430104", date(1948, 3, 12), "211")
    assert number.startswith("43010419480312211")
    assert validate_id_number(number) == number


def test_make_id_number_refuses_malformed_parts():
    with pytest.raises(ValueError):
        make_id_number("4301", date(1948, 3, 12), "211")
    with pytest.raises(ValueError):
        make_id_number("430104", date(1948, 3, 12), "21")


def test_birth_date_reads_characters_7_to_14():
    assert birth_date(STANDARD_SAMPLE) == date(1949, 12, 31)


@pytest.mark.parametrize(("seq", "expected"), [("211", "1"), ("213", "1"), ("210", "2"), ("218", "2")])
def test_gender_code_is_1_for_odd_17th_digit_and_2_for_even(seq, expected):
    assert gender_code(make_id_number("430104", date(1948, 3, 12), seq)) == expected


def test_age_on_counts_completed_years():
    number = make_id_number("430104", date(1948, 3, 12), "211")
    assert age_on(number, date(2026, 1, 30)) == 77
    assert age_on(number, date(2026, 3, 11)) == 77
    assert age_on(number, date(2026, 3, 12)) == 78


def test_someone_born_on_29_february_turns_older_on_1_march_in_a_common_year():
    number = make_id_number("430104", date(1948, 2, 29), "211")
    assert age_on(number, date(2026, 2, 28)) == 77
    assert age_on(number, date(2026, 3, 1)) == 78
