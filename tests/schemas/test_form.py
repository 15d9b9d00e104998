from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError

from app.standards.gb11643 import make_id_number
from schemas import form as form_module
from schemas.form import ApplicationFormSchema
from tests.factories import APPLICANT_ID, DECEASED_ID, REMOVE, person_id_number, worked_example_form

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """The morning 王丽 applies (SPEC §11)."""
    moment = datetime(2026, 1, 31, 10, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(form_module, "now", lambda: moment)
    return moment


def load(body):
    return ApplicationFormSchema().load(body)


def errors_of(body) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        load(body)
    return caught.value.messages


def test_worked_example_loads_into_python_values():
    form = load(worked_example_form())
    deceased = form["deceased"]
    assert deceased["died_at"] == datetime(2026, 1, 30, 23, 40, tzinfo=SHANGHAI)
    assert deceased["died_at"].tzinfo == SHANGHAI
    assert deceased["age"] == 77
    assert deceased["id_number"] == DECEASED_ID
    assert deceased["household_registration"]["division_code"] == "430104"
    assert form["applicant"]["relationship"] == "30"
    assert form["applicant"]["relationship_basis"] is None
    assert form["circumstances"]["welfare"] == ["elderly_subsidy"]
    assert form["circumstances"]["is_enterprise_employee"] is True
    assert len(form["requested_matters"]) == 10
    assert form["commitment"] == {
        "accepted": True,
        "signed_name": "王丽",
        "signed_at": datetime(2026, 1, 31, 9, 30, tzinfo=SHANGHAI),
    }


def test_died_at_given_in_utc_is_normalised_to_shanghai():
    form = load(worked_example_form(deceased__died_at="2026-01-30T15:40:00Z"))
    died_at = form["deceased"]["died_at"]
    assert died_at.tzinfo == SHANGHAI
    assert (died_at.date(), died_at.hour, died_at.minute) == (date(2026, 1, 30), 23, 40)


def test_died_at_without_offset_is_refused():
    errors = errors_of(worked_example_form(deceased__died_at="2026-01-30T23:40:00"))
    assert errors == {"deceased.died_at": ["时间须写明时区，如 2026-01-30T23:40:00+08:00"]}


def test_lowercase_x_in_id_number_is_normalised_to_uppercase():
    number = next(
        n for s in range(100, 1000)
        if (n := make_id_number("430102", date(1975, 6, 18), f"{s:03d}")).endswith("X")
        and int(n[16]) % 2 == 0
    )
    form = load(worked_example_form(applicant__id_number=" " + number.lower()))
    assert form["applicant"]["id_number"] == number


def test_wrong_check_digit_is_refused_on_its_field():
    wrong = DECEASED_ID[:17] + ("0" if DECEASED_ID[17] != "0" else "1")
    errors = errors_of(worked_example_form(deceased__id_number=wrong))
    assert list(errors) == ["deceased.id_number"]
    assert "校验码" in errors["deceased.id_number"][0]


def test_impossible_birth_date_in_id_number_is_refused():
    errors = errors_of(worked_example_form(applicant__id_number="430102197502300021"))
    assert list(errors) == ["applicant.id_number"]
    assert "出生日期" in errors["applicant.id_number"][0]


def test_gender_not_matching_the_id_number_is_caught():
    errors = errors_of(worked_example_form(deceased__gender="2"))
    assert errors == {"deceased.gender": ["性别与身份证号码不符：身份证号码第 17 位为奇数，应为“男”"]}


def test_age_is_completed_years_at_died_at():
    errors = errors_of(worked_example_form(deceased__age=78))  # 虚岁 is not accepted
    assert errors == {"deceased.age": ["年龄与身份证号码不符：按身份证号码中的出生日期，亡故时应为 77 周岁"]}


def test_died_at_in_the_future_is_caught(monkeypatch):
    monkeypatch.setattr(form_module, "now", lambda: datetime(2026, 1, 30, 23, 0, tzinfo=SHANGHAI))
    errors = errors_of(worked_example_form())
    assert errors == {"deceased.died_at": ["亡故时间不能晚于现在，请核对日期和时间"]}


def test_died_at_before_birth_is_caught():
    errors = errors_of(worked_example_form(
        deceased__died_at="1948-03-11T08:00:00+08:00", deceased__age=0,
        commitment__signed_at="1948-03-12T08:00:00+08:00",
    ))
    assert errors == {"deceased.died_at": ["亡故时间不能早于身份证号码中的出生日期，请核对"]}


def test_household_registration_outside_hunan_is_refused_with_the_reason():
    errors = errors_of(worked_example_form(deceased__household_registration__division_code="110101"))
    assert list(errors) == ["deceased.household_registration.division_code"]
    message = errors["deceased.household_registration.division_code"][0]
    assert "只受理湖南省户籍" in message


def test_hunan_prefix_with_an_unknown_prefecture_is_refused():
    errors = errors_of(worked_example_form(deceased__household_registration__division_code="439901"))
    assert list(errors) == ["deceased.household_registration.division_code"]


def test_death_outside_hunan_is_refused_when_the_place_has_a_division_code():
    errors = errors_of(worked_example_form(deceased__place_of_death__division_code="440106"))
    assert list(errors) == ["deceased.place_of_death.division_code"]
    assert "湖南省内亡故" in errors["deceased.place_of_death.division_code"][0]


def test_place_of_death_division_code_is_required_to_know_the_death_was_in_hunan():
    errors = errors_of(worked_example_form(deceased__place_of_death__division_code=REMOVE))
    assert list(errors) == ["deceased.place_of_death.division_code"]


def test_household_registration_must_be_a_county_level_code():
    errors = errors_of(worked_example_form(deceased__household_registration__division_code="430100"))
    assert "县（市、区）级" in errors["deceased.household_registration.division_code"][0]


def test_commitment_cannot_be_signed_in_the_future():
    errors = errors_of(worked_example_form(commitment__signed_at="2099-01-01T09:00:00+08:00"))
    assert list(errors) == ["commitment.signed_at"]


def test_applicant_cannot_be_the_deceased():
    errors = errors_of(worked_example_form(applicant__id_number=DECEASED_ID))
    assert list(errors) == ["applicant.id_number"]
    assert "不能是死亡人员本人" in errors["applicant.id_number"][0]


def test_non_relative_needs_a_relationship_basis():
    errors = errors_of(worked_example_form(applicant__relationship="99", applicant__relationship_basis="  "))
    assert list(errors) == ["applicant.relationship_basis"]
    assert "关系依据" in errors["applicant.relationship_basis"][0]
    form = load(worked_example_form(applicant__relationship="99", applicant__relationship_basis="村委会"))
    assert form["applicant"]["relationship_basis"] == "村委会"


@pytest.mark.parametrize("relationship", ["01", "02", "98", "3"])
def test_relationship_must_be_an_applicant_code_of_gb_t_4761(relationship):
    errors = errors_of(worked_example_form(applicant__relationship=relationship))
    assert list(errors) == ["applicant.relationship"]
    assert "GB/T 4761" in errors["applicant.relationship"][0]


@pytest.mark.parametrize("phone", ["12800000000", "1380000000", "138000000001", "1380000000a", "+8613800000000"])
def test_phone_must_be_an_11_digit_mainland_mobile(phone):
    errors = errors_of(worked_example_form(applicant__phone=phone))
    assert list(errors) == ["applicant.phone"]
    assert "11 位" in errors["applicant.phone"][0]


def test_phone_with_spaces_is_accepted_as_digits():
    assert load(worked_example_form(applicant__phone="138 0000 0000"))["applicant"]["phone"] == "13800000000"


@pytest.mark.parametrize("number", ["62000000000", "62000000000000000001", "6200-0000-0000-X"])
def test_bank_account_must_be_12_to_19_digits(number):
    errors = errors_of(worked_example_form(deceased__bank_account__account_number=number))
    assert errors == {"deceased.bank_account.account_number": ["银行Ⅰ类账号应为 12 到 19 位数字，请核对"]}


def test_bank_account_printed_in_groups_loads_as_digits():
    form = load(worked_example_form(deceased__bank_account__account_number="6200 0000 0000 0000 017"))
    assert form["deceased"]["bank_account"]["account_number"] == "6200000000000000017"


def test_social_security_card_account_must_be_digits():
    errors = errors_of(worked_example_form(deceased__social_security_card__account_number="社保卡"))
    assert errors == {"deceased.social_security_card.account_number": ["社保卡账号应为 12 到 19 位数字，请核对"]}


def test_unknown_field_is_refused_where_it_appears():
    errors = errors_of(worked_example_form(deceased__nickname="老王", extra=1))
    assert errors == {"deceased.nickname": ["不认识的字段"], "extra": ["不认识的字段"]}


def test_missing_required_field_is_named():
    errors = errors_of(worked_example_form(deceased__ethnicity=REMOVE, circumstances=REMOVE))
    assert errors == {"deceased.ethnicity": ["此项为必填项"], "circumstances": ["此项为必填项"]}


def test_blank_text_counts_as_missing():
    errors = errors_of(worked_example_form(deceased__death_cause="   "))
    assert errors == {"deceased.death_cause": ["此项为必填项"]}


def test_wrong_types_get_chinese_messages():
    errors = errors_of(worked_example_form(deceased__age="七十七", circumstances__is_enterprise_employee="maybe"))
    assert errors == {
        "deceased.age": ["格式不正确，应为整数"],
        "circumstances.is_enterprise_employee": ["格式不正确，应为 true（是）或 false（否）"],
    }


def test_list_items_are_checked_one_by_one_and_keyed_by_index():
    errors = errors_of(worked_example_form(
        circumstances__welfare=["dibao", "pension"], requested_matters=["hukou_cancellation", "visa"],
    ))
    assert set(errors) == {"circumstances.welfare.1", "requested_matters.1"}
    assert errors["requested_matters.1"] == ["不认识的办理事项代码"]


def test_repeated_list_items_are_dropped():
    form = load(worked_example_form(requested_matters=["hukou_cancellation", "hukou_cancellation"]))
    assert form["requested_matters"] == ["hukou_cancellation"]


def test_requested_matters_may_be_left_out_for_a_preview():
    assert load(worked_example_form(requested_matters=REMOVE))["requested_matters"] == []


def test_commitment_must_be_accepted_and_signed_by_the_applicant():
    errors = errors_of(worked_example_form(commitment__accepted=False, commitment__signed_name="王力"))
    assert errors == {
        "commitment.accepted": ["请阅读并同意申请人承诺后再提交"],
        "commitment.signed_name": ["承诺签名应与申请人姓名一致"],
    }


def test_commitment_cannot_be_signed_before_the_death():
    errors = errors_of(worked_example_form(commitment__signed_at="2026-01-30T20:00:00+08:00"))
    assert errors == {"commitment.signed_at": ["申请时间不能早于亡故时间，请核对"]}


def test_preview_may_leave_the_commitment_out():
    form = ApplicationFormSchema().load(worked_example_form(commitment=REMOVE), partial=("commitment",))
    assert "commitment" not in form


def test_all_cross_check_errors_are_reported_together():
    errors = errors_of(worked_example_form(
        deceased__gender="2",
        deceased__age=60,
        deceased__household_registration__division_code="110101",
        applicant__relationship="99",
        commitment__signed_name="别人",
    ))
    assert set(errors) == {
        "deceased.gender", "deceased.age", "deceased.household_registration.division_code",
        "applicant.relationship_basis", "commitment.signed_name",
    }


def test_a_cross_check_is_skipped_when_its_field_already_failed():
    errors = errors_of(worked_example_form(deceased__id_number="123", deceased__gender="2", deceased__age=1))
    # Gender and age cannot be compared without a valid ID number: only the ID number is reported.
    assert list(errors) == ["deceased.id_number"]


def test_applicant_gender_need_not_match_the_relationship():
    son_id = person_id_number(date(1975, 6, 18), "1", division="430102")
    assert load(worked_example_form(applicant__id_number=son_id))["applicant"]["relationship"] == "30"


def test_factory_numbers_are_the_worked_example_people():
    assert DECEASED_ID[6:14] == "19480312" and int(DECEASED_ID[16]) % 2 == 1
    assert APPLICANT_ID[6:14] == "19750618" and int(APPLICANT_ID[16]) % 2 == 0
