"""One open case per deceased, even when requests race; strangers learn nothing from the refusal."""
from concurrent.futures import ThreadPoolExecutor

from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example


def test_concurrent_duplicates_give_one_case_and_409s_never_500(stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk = Api(stack.base_url).as_staff()
    body = {**form, "materials_received": HUKOU_MATERIALS}
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(lambda _: clerk.post("/api/v1/cases", json=body).status_code, range(8)))
    assert codes == [201] + [409] * 7


def test_a_stranger_using_someone_elses_deceased_learns_nothing(stack):
    form = fresh_worked_example(requested_matters=["death_certificate"])
    clerk = Api(stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    stranger = Api(stack.base_url).as_family(name="陈路人", id_number="430104199001010018", phone="13900000000")
    response = stranger.post("/api/v1/cases", json=form)
    assert response.status_code == 422 and response.json()["code"] == "applicant_mismatch"
    other_window = Api(stack.base_url).as_staff("clerk.yuelu")
    duplicate = other_window.post("/api/v1/cases", json=form)
    assert duplicate.status_code == 409 and case["reference"] not in duplicate.text
