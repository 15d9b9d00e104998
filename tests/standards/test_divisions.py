import json

from app.standards import divisions
from app.standards.divisions import county_division, division_name, is_hunan


def test_the_table_has_14_prefectures_and_122_counties_and_says_where_it_came_from():
    data = json.loads(divisions._DATA.read_text(encoding="utf-8"))
    assert data["source"] and data["as_of"]
    assert len(data["prefectures"]) == 14
    assert sum(len(p["counties"]) for p in data["prefectures"]) == 122
    for prefecture in data["prefectures"]:
        assert all(code[:4] == prefecture["code"][:4] for code in prefecture["counties"])


def test_division_names():
    assert division_name("430000") == "湖南省"
    assert division_name("430100") == "长沙市"
    assert division_name("430104") == "岳麓区"
    assert division_name("433101") == "吉首市"
    assert division_name("110101") is None
    assert division_name("43010") is None


def test_county_division_knows_its_prefecture():
    county = county_division("430104")
    assert county == ("430104", "岳麓区", "430100", "长沙市")
    assert county_division("430100") is None


def test_is_hunan_accepts_known_codes_of_every_level():
    assert is_hunan("430000")
    assert is_hunan("430100")
    assert is_hunan("430104")
    assert is_hunan("433130")


def test_is_hunan_accepts_an_unlisted_county_under_a_known_prefecture():
    # 430124 (the former 宁乡县) is not in the current table but lies under 长沙市 4301.
    assert division_name("430124") is None
    assert is_hunan("430124")


def test_is_hunan_refuses_other_provinces_unknown_prefectures_and_malformed_codes():
    assert not is_hunan("110101")
    assert not is_hunan("431401")  # no prefecture 4314 in Hunan
    assert not is_hunan("430099")  # 4300 is the province, not a prefecture
    assert not is_hunan("4301")
    assert not is_hunan("43010a")
    assert not is_hunan(None)
