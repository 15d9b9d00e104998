"""A death at home: the death certificate waits for the village committee (二(四)1); the
eligibility preview says so before submit."""
from tests.helpers import Api, fresh_worked_example
from tests.materials.support import HOME


def _death_certificate(preview: dict) -> dict:
    return next(m for m in preview["matters"] if m["code"] == "death_certificate")


def test_home_death_certificate_waits_for_the_village_committee_and_hospital_death_does_not(embedded_stack):
    api = Api(embedded_stack.base_url).as_staff("clerk.cs")
    home = api.post("/api/v1/eligibility", json=fresh_worked_example(deceased__place_of_death=HOME), expect=200).json()
    assert [w["code"] for w in _death_certificate(home)["waits_for"]] == ["village_committee_started"]
    hospital = api.post("/api/v1/eligibility", json=fresh_worked_example(), expect=200).json()
    assert _death_certificate(hospital)["waits_for"] == []
