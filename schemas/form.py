"""The application form (附件2 申请表) as data, SPEC §2: field names are the API contract.

``ApplicationFormSchema().load(body)`` returns plain dicts with Python values (see the class
docstring) or raises ``ValidationError`` with ``{"dotted.field": ["中文…"]}`` (schemas.common).
Cross-checks between fields are in :meth:`ApplicationFormSchema.cross_check`, each skipped when a
field it needs already failed on its own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from marshmallow import ValidationError, fields, validates_schema

from app import clock
from app.standards import codes
from app.standards.divisions import is_hunan
from app.standards.gb11643 import age_on, birth_date, gender_code
from schemas.common import (
    BaseSchema, Code, DigitString, Equal, IdNumber, Range, ShanghaiDateTime, Text, UniqueList,
)

#: Matter codes of the catalogue (SPEC §3), in the catalogue's order.
MATTER_CODES = (
    "death_certificate", "abnormal_death_certificate", "cremation_certificate",
    "hukou_cancellation", "driving_licence_cancellation", "medical_insurance_reduction",
    "medical_account_withdrawal", "pension_account_payout", "funeral_subsidy",
    "survivor_benefit", "housing_fund_withdrawal", "dibao_termination", "tekun_termination",
    "elderly_subsidy_termination", "disability_subsidy_termination",
)

#: The applicant's commitment (申请人承诺), verbatim from 附件2: what ``commitment.accepted`` accepts.
COMMITMENT_TEXT = (
    "申请人承诺遵守国家和地方各项殡葬政策规定文明治丧、安置骨灰。以上填报信息真实有效，"
    "因对死亡人员享受政策不清误填报，同意工作人员据实处理。"
    "因申请人虚假填报信息产生的法律纠纷由申请人自行承担。"
)

_ACCOUNT = r"[0-9]{12,19}"  # bank card and account numbers: 12–19 digits


def now() -> datetime:
    """The current instant, aware, in Asia/Shanghai (follows ``app.clock``; tests may patch)."""
    return clock.now().astimezone(clock.SHANGHAI)


class ApplicantSchema(BaseSchema):
    """申请人: a 近亲属 or, with ``relationship`` 99, a 特定关系人."""

    name = Text(required=True, max_length=50)
    phone = DigitString(
        required=True, pattern=r"1[3-9][0-9]{9}",
        error="手机号码应为 11 位中国大陆手机号码，以 1 开头，如 13800000000",
    )
    id_number = IdNumber(required=True)
    address = Text(required=True, max_length=200)
    #: GB/T 4761-2008: the applicant's relation to the deceased.
    relationship = Code(
        codes.APPLICANT_RELATIONSHIPS,
        required=True,
        error="与死亡人员关系应为 GB/T 4761 的两位代码，如 10 配偶、20 子、30 女、99 非亲属"
        "（不能填 01 本人或 02 户主）",
    )
    #: Required with relationship 99: on what basis a non-relative applies (村委会, 用人单位 …).
    relationship_basis = Text(max_length=200, allow_none=True, load_default=None)


class BankAccountSchema(BaseSchema):
    """死亡人员银行Ⅰ类账户: the bank and the 12–19 digit account (card) number."""

    bank_name = Text(required=True, max_length=100)
    account_number = DigitString(
        required=True, pattern=_ACCOUNT, error="银行Ⅰ类账号应为 12 到 19 位数字，请核对"
    )


class SocialSecurityCardSchema(BaseSchema):
    """死亡人员社保卡: the issuing bank and the card's 12–19 digit financial account number."""

    bank_name = Text(required=True, max_length=100)
    account_number = DigitString(
        required=True, pattern=_ACCOUNT, error="社保卡账号应为 12 到 19 位数字，请核对"
    )


class PlaceOfDeathSchema(BaseSchema):
    """死亡人员身故所在地; ``division_code`` (GB/T 2260) is required: the notice serves only
    deaths in Hunan (在湘死亡), which cannot be checked without it."""

    kind = Code(codes.PLACE_OF_DEATH_KINDS, required=True,
                error="身故地点类型应为 medical_institution（医疗机构）、home（家中）或 other（其他）")
    name = Text(required=True, max_length=100)
    division_code = DigitString(required=True, pattern=r"[0-9]{6}", error="行政区划代码应为 6 位数字")


class HouseholdRegistrationSchema(BaseSchema):
    """死亡人员户籍所在地: ___省___市___县（区）___派出所, plus its GB/T 2260 code."""

    province = Text(required=True, max_length=50)
    city = Text(required=True, max_length=50)
    county = Text(required=True, max_length=50)
    police_station = Text(required=True, max_length=100)
    division_code = DigitString(required=True, pattern=r"[0-9]{6}", error="行政区划代码应为 6 位数字")


class DeceasedSchema(BaseSchema):
    """死亡人员. ``age`` in completed years (周岁) at ``died_at``; ``died_at`` in Asia/Shanghai."""

    name = Text(required=True, max_length=50)
    gender = Code(codes.FORM_GENDERS, required=True, error="性别应为 1（男）或 2（女）")
    age = fields.Integer(required=True, strict=True, validate=Range(min=0, max=150))
    ethnicity = Code(codes.ETHNICITIES, required=True,
                     error="民族应为 GB/T 3304 的两位代码，如 01 汉族、06 苗族、15 土家族")
    died_at = ShanghaiDateTime(required=True)
    death_cause_category = Code(codes.DEATH_CAUSE_CATEGORIES, required=True,
                                error="亡故原因类别应为 normal（正常死亡）或 abnormal（非正常死亡）")
    death_cause = Text(required=True, max_length=200)
    id_number = IdNumber(required=True)
    bank_account = fields.Nested(BankAccountSchema, required=True)
    social_security_card = fields.Nested(SocialSecurityCardSchema, required=True)
    place_of_death = fields.Nested(PlaceOfDeathSchema, required=True)
    household_registration = fields.Nested(HouseholdRegistrationSchema, required=True)


class CircumstancesSchema(BaseSchema):
    """死亡人员享受待遇和参保情况 (附件2); the codes and labels are in ``app.standards.codes``."""

    welfare = UniqueList(
        Code(codes.WELFARE, error="福利补贴类型应为 dibao、tekun、elderly_subsidy、"
             "disability_living_subsidy 或 severe_disability_care_subsidy"),
        required=True,
    )
    is_enterprise_employee = fields.Boolean(required=True)
    employment_status = Code(codes.EMPLOYMENT_STATUSES, required=True,
                             error="工作状态应为 employed（在职）、retired（退休）或 none（都不是）")
    medical_insurance = Code(codes.MEDICAL_INSURANCE, required=True,
                             error="医保参保类型应为 employee（城镇职工）、resident（城乡居民）或 none（未参保）")
    pension_insurance = Code(codes.PENSION_INSURANCE, required=True,
                             error="养老保险参保类型应为 resident（城乡居民）、enterprise_employee（城镇企业职工）"
                             "或 none（未参保）")
    other_insurance = UniqueList(
        Code(codes.OTHER_INSURANCE, error="其他参保类型应为 work_injury（工伤保险）或 unemployment（失业保险）"),
        load_default=list,
    )


class CommitmentSchema(BaseSchema):
    """申请人承诺 (``COMMITMENT_TEXT``): accepted, signed with the applicant's name, and when."""

    accepted = fields.Boolean(required=True, validate=Equal(True, error="请阅读并同意申请人承诺后再提交"))
    signed_name = Text(required=True, max_length=50)
    signed_at = ShanghaiDateTime(required=True)


class ApplicationFormSchema(BaseSchema):
    """湖南省公民身后“一件事一次办”申请表 (附件2), SPEC §2.

    ``load`` returns::

        {"applicant": {"name", "phone", "id_number", "address", "relationship",
                       "relationship_basis": str | None},
         "deceased": {"name", "gender", "age": int, "ethnicity", "died_at": datetime,
                      "death_cause_category", "death_cause", "id_number",
                      "bank_account": {"bank_name", "account_number"},
                      "social_security_card": {"bank_name", "account_number"},
                      "place_of_death": {"kind", "name", "division_code": str | None},
                      "household_registration": {"province", "city", "county",
                                                 "police_station", "division_code"}},
         "circumstances": {"welfare": [str], "is_enterprise_employee": bool,
                           "employment_status", "medical_insurance", "pension_insurance",
                           "other_insurance": [str]},
         "requested_matters": [str],
         "commitment": {"accepted": True, "signed_name", "signed_at": datetime}}

    Unmarked values are ``str``; datetimes are aware, in Asia/Shanghai; ID numbers end in ``X``
    not ``x``; account and phone numbers are digits only; lists have no repeats.
    ``requested_matters`` defaults to ``[]`` (an eligibility preview sends none). For a preview
    before signing, load with ``partial=("commitment",)``.
    """

    applicant = fields.Nested(ApplicantSchema, required=True)
    deceased = fields.Nested(DeceasedSchema, required=True)
    circumstances = fields.Nested(CircumstancesSchema, required=True)
    requested_matters = UniqueList(
        Code(MATTER_CODES, error="不认识的办理事项代码"), load_default=list
    )
    commitment = fields.Nested(CommitmentSchema, required=True)

    @validates_schema(skip_on_field_errors=False)
    def cross_check(self, data: dict, **kwargs) -> None:
        """The cross-checks of SPEC §2, all of them at once: ``ValidationError`` keyed by the
        dotted path of the field each concerns."""
        errors: dict[str, list[str]] = {}
        applicant = data.get("applicant") or {}
        deceased = data.get("deceased") or {}
        commitment = data.get("commitment") or {}
        for check in (
            _deceased_matches_id_number(deceased),
            _died_at_is_possible(deceased),
            _in_hunan(deceased),
            _applicant_is_someone_else(applicant, deceased),
            _commitment_is_signed_by_applicant(commitment, applicant, deceased),
        ):
            for key, message in check:
                errors.setdefault(key, []).append(message)
        if errors:
            raise ValidationError(errors)


# Each check yields (dotted field, message) and looks only at fields that loaded cleanly.

def _deceased_matches_id_number(deceased: dict):
    """Gender and age against the ID number (GB 11643: 17th digit odd = 男; 周岁 at died_at)."""
    id_number = deceased.get("id_number")
    if not id_number:
        return
    expected_gender = gender_code(id_number)
    if "gender" in deceased and deceased["gender"] != expected_gender:
        parity = "奇" if expected_gender == "1" else "偶"
        yield ("deceased.gender",
               f"性别与身份证号码不符：身份证号码第 17 位为{parity}数，"
               f"应为“{codes.GENDERS[expected_gender]}”")
    if "age" in deceased and "died_at" in deceased:
        expected_age = age_on(id_number, deceased["died_at"].date())
        if expected_age >= 0 and deceased["age"] != expected_age:
            yield ("deceased.age",
                   f"年龄与身份证号码不符：按身份证号码中的出生日期，亡故时应为 {expected_age} 周岁")


def _died_at_is_possible(deceased: dict):
    """``died_at`` not in the future and not before the birth date in the ID number."""
    died_at = deceased.get("died_at")
    if died_at is None:
        return
    if died_at > now():
        yield "deceased.died_at", "亡故时间不能晚于现在，请核对日期和时间"
    elif deceased.get("id_number") and died_at.date() < birth_date(deceased["id_number"]):
        yield "deceased.died_at", "亡故时间不能早于身份证号码中的出生日期，请核对"


def _in_hunan(deceased: dict):
    """Scope rule 在湘死亡的本省户籍人员 (SPEC §1): Hunan hukou, and died in Hunan."""
    hukou = (deceased.get("household_registration") or {}).get("division_code")
    if hukou and not is_hunan(hukou):
        yield ("deceased.household_registration.division_code",
               "本服务只受理湖南省户籍人员的身后事项，户籍所在地须为湖南省"
               "（行政区划代码以 43 开头，且为有效的湖南省代码）。"
               "非湖南省户籍的，请向户籍所在地有关部门咨询办理")
    if hukou and is_hunan(hukou) and hukou.endswith("00"):
        yield ("deceased.household_registration.division_code",
               "户籍所在地请填写县（市、区）级行政区划代码，如 430104（长沙市岳麓区）")
    place = (deceased.get("place_of_death") or {}).get("division_code")
    if place and not is_hunan(place):
        yield ("deceased.place_of_death.division_code",
               "本服务只受理在湖南省内亡故的人员，身故所在地须为湖南省"
               "（行政区划代码以 43 开头，且为有效的湖南省代码）")


def _applicant_is_someone_else(applicant: dict, deceased: dict):
    """The applicant is not the deceased; a non-relative (99) says on what basis he applies."""
    if applicant.get("id_number") and applicant["id_number"] == deceased.get("id_number"):
        yield ("applicant.id_number",
               "申请人身份证号码与死亡人员相同：申请人应为死亡人员的近亲属或特定关系人，不能是死亡人员本人")
    if applicant.get("relationship") == codes.NON_RELATIVE and not applicant.get("relationship_basis"):
        yield ("applicant.relationship_basis",
               "与死亡人员关系为“非亲属”（特定关系人）时，请填写关系依据，如 村委会、用人单位")


def _commitment_is_signed_by_applicant(commitment: dict, applicant: dict, deceased: dict):
    """The commitment is signed in the applicant's name, not before the death."""
    if commitment.get("signed_name") and applicant.get("name") \
            and commitment["signed_name"] != applicant["name"]:
        yield "commitment.signed_name", "承诺签名应与申请人姓名一致"
    if commitment.get("signed_at") and deceased.get("died_at") \
            and commitment["signed_at"] < deceased["died_at"]:
        yield "commitment.signed_at", "申请时间不能早于亡故时间，请核对"
    if commitment.get("signed_at") and commitment["signed_at"] > now() + timedelta(days=1):
        yield "commitment.signed_at", "申请时间不能晚于今天，请核对"
