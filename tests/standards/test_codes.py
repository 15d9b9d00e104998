from app.standards import codes


def test_ethnicities_follow_gb_t_3304_with_56_groups_plus_97_and_98():
    assert len(codes.ETHNICITIES) == 58
    assert codes.ETHNICITIES["01"] == "汉族"
    assert codes.ETHNICITIES["15"] == "土家族"
    assert codes.ETHNICITIES["56"] == "基诺族"
    assert codes.ETHNICITIES["97"] == "其他"
    assert codes.ETHNICITIES["98"] == "外国血统中国籍人士"
    assert [f"{n:02d}" for n in range(1, 57)] == list(codes.ETHNICITIES)[:56]


def test_form_genders_are_1_male_and_2_female_of_gb_t_2261_1():
    assert codes.FORM_GENDERS == {"1": "男", "2": "女"}
    assert set(codes.GENDERS) == {"0", "1", "2", "9"}


def test_relationship_table_is_gb_t_4761_with_two_digit_codes():
    assert all(len(code) == 2 and code.isdigit() for code in codes.RELATIONSHIPS)
    assert codes.RELATIONSHIPS["10"] == "配偶"
    assert codes.RELATIONSHIPS["30"] == "女"
    assert codes.RELATIONSHIPS["41"] == "孙子"
    assert codes.RELATIONSHIPS["51"] == "父亲"
    assert codes.RELATIONSHIPS["99"] == "非亲属"
    assert "98" not in codes.RELATIONSHIPS


def test_the_form_refuses_relationships_01_self_and_02_head_of_household():
    assert "01" not in codes.APPLICANT_RELATIONSHIPS
    assert "02" not in codes.APPLICANT_RELATIONSHIPS
    assert set(codes.RELATIONSHIPS) - set(codes.APPLICANT_RELATIONSHIPS) == {"01", "02"}


def test_form_enums_have_the_codes_of_spec_section_2():
    assert list(codes.WELFARE) == [
        "dibao", "tekun", "elderly_subsidy", "disability_living_subsidy",
        "severe_disability_care_subsidy",
    ]
    assert list(codes.EMPLOYMENT_STATUSES) == ["employed", "retired", "none"]
    assert list(codes.MEDICAL_INSURANCE) == ["employee", "resident", "none"]
    assert list(codes.PENSION_INSURANCE) == ["resident", "enterprise_employee", "none"]
    assert list(codes.OTHER_INSURANCE) == ["work_injury", "unemployment"]
