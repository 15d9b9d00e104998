"""Supervision API: figures per department and county, overdue list, CSV exports, scope by county."""
import csv
import io
from datetime import date

import pytest

from tests.factories import person_id_number
from tests.helpers import Api
from tests.supervision.conftest import seed_case, shanghai

APRIL = "from=2025-04-01&to=2025-04-30"


@pytest.fixture(scope="module")
def april_2025(supervision_stack):
    """Matters received in April 2025 in three cases (FICTIONAL):
    A — hukou 430104 (长沙市岳麓区), applied from the phone;
    B — hukou 430202 (株洲市荷塘区), applied from the phone: outside 长沙;
    C — hukou 430202 but filed at the 长沙市殡仪馆 window (430100): inside 长沙 through the window.
    """
    stack = supervision_stack
    received = shanghai("2025-04-01T10:00:00+08:00")  # Tuesday
    a = seed_case(stack, hukou="430104", matters={
        # Finished the next day, due 04-03: on time, 1 working day.
        "hukou_cancellation": {"status": "done", "dispatched_at": received, "due_state": "scheduled",
                               "due_at": shanghai("2025-04-03T23:59:59+08:00"),
                               "finished_at": shanghai("2025-04-02T15:00:00+08:00")},
        # 5 working days over 清明 (04-04..04-06 off): due 04-09, finished 04-10 — late, 6 working days
        # (04-02, 04-03, 04-07, 04-08, 04-09, 04-10).
        "medical_insurance_reduction": {"status": "done", "dispatched_at": received, "due_state": "scheduled",
                                        "due_at": shanghai("2025-04-09T23:59:59+08:00"),
                                        "finished_at": shanghai("2025-04-10T11:00:00+08:00")},
        # Still owed and past its due time.
        "driving_licence_cancellation": {"status": "accepted", "dispatched_at": received, "due_state": "scheduled",
                                         "due_at": shanghai("2025-05-15T23:59:59+08:00")},
        # Business rule: finished the same day (0 working days), no due time to keep.
        "pension_account_payout": {"status": "done", "dispatched_at": received, "due_state": "no_fixed_deadline",
                                   "finished_at": shanghai("2025-04-01T16:00:00+08:00")},
    })
    b = seed_case(stack, hukou="430202", matters={
        "driving_licence_cancellation": {"status": "accepted", "dispatched_at": received, "due_state": "scheduled",
                                         "due_at": shanghai("2025-05-15T23:59:59+08:00")},
    })
    c = seed_case(stack, hukou="430202", window_id="cs-funeral-home", matters={
        "hukou_cancellation": {"status": "dispatched", "dispatched_at": received, "due_state": "scheduled",
                               "due_at": shanghai("2025-04-03T23:59:59+08:00")},
    })
    return {"a": a, "b": b, "c": c}


@pytest.fixture
def in_may(frozen_clock):
    frozen_clock(shanghai("2025-05-20T10:00:00+08:00"))


def _rows(stats: dict) -> dict:
    return {(r["department"], r["county_code"]): r for r in stats["rows"]}


def test_supervisor_sees_figures_per_department_and_county_of_their_area(supervision_stack, april_2025, in_may):
    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    stats = supervisor.get(f"/api/v1/supervision/stats?{APRIL}", expect=200).json()
    assert (stats["from"], stats["to"], stats["scope"]) == ("2025-04-01", "2025-04-30", "4301")
    rows = _rows(stats)
    # B (株洲, no window) is not this supervisor's; C is, through the 长沙 window.
    assert set(rows) == {("police_household", "430104"), ("medical_security", "430104"),
                         ("police_traffic", "430104"), ("hrss", "430104"), ("police_household", "430202")}
    hukou = rows[("police_household", "430104")]
    assert hukou["county_name"] == "长沙市岳麓区" and hukou["department_name"] == "公安机关人口管理部门"
    assert {k: hukou[k] for k in ("received", "finished", "with_deadline", "on_time", "overdue", "on_time_rate",
                                  "median_working_days")} == {
        "received": 1, "finished": 1, "with_deadline": 1, "on_time": 1, "overdue": 0, "on_time_rate": 1.0,
        "median_working_days": 1.0}
    medical = rows[("medical_security", "430104")]
    assert (medical["finished"], medical["on_time"], medical["overdue"], medical["on_time_rate"],
            medical["median_working_days"]) == (1, 0, 1, 0.0, 6.0)
    licence = rows[("police_traffic", "430104")]
    assert (licence["finished"], licence["overdue"], licence["on_time_rate"], licence["median_working_days"]) == (
        0, 1, None, None)
    pension = rows[("hrss", "430104")]
    assert (pension["finished"], pension["with_deadline"], pension["median_working_days"]) == (1, 0, 0.0)
    window_case = rows[("police_household", "430202")]
    assert (window_case["county_name"], window_case["received"], window_case["overdue"]) == ("株洲市荷塘区", 1, 1)
    total = stats["total"]
    assert (total["received"], total["finished"], total["on_time"], total["overdue"]) == (5, 3, 1, 3)
    assert total["median_working_days"] == 1.0  # of 1, 6 and 0


def test_admin_sees_every_county_and_another_supervisor_only_theirs(supervision_stack, april_2025, in_may):
    admin = Api(supervision_stack.base_url).as_staff("t.admin")
    everything = admin.get(f"/api/v1/supervision/stats?{APRIL}", expect=200).json()
    assert everything["scope"] == ""
    assert _rows(everything)[("police_traffic", "430202")]["received"] == 1  # case B
    zhuzhou = Api(supervision_stack.base_url).as_staff("t.supervisor.zz")
    rows = _rows(zhuzhou.get(f"/api/v1/supervision/stats?{APRIL}", expect=200).json())
    assert set(rows) == {("police_traffic", "430202"), ("police_household", "430202")}


def test_overdue_list_is_scoped_and_longest_overdue_first(supervision_stack, april_2025, in_may):
    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    overdue = supervisor.get("/api/v1/supervision/overdue", expect=200).json()
    mine = [m for m in overdue if m["case_id"] in {april_2025["a"].case_id, april_2025["c"].case_id}]
    assert [(m["code"], m["case_reference"]) for m in mine] == [
        ("hukou_cancellation", april_2025["c"].reference),  # due 04-03
        ("driving_licence_cancellation", april_2025["a"].reference),  # due 05-15
    ]
    assert mine[0]["due_at"] == "2025-04-03T23:59:59+08:00" and mine[0]["county_name"] == "株洲市荷塘区"
    # 05-15 → 05-20 (Tuesday): 05-16, 05-19, 05-20.
    assert mine[1]["overdue_working_days"] == 3
    assert not any(m["case_id"] == april_2025["b"].case_id for m in overdue)


def test_stats_csv_opens_in_excel_with_chinese_and_matches_the_figures(supervision_stack, april_2025, in_may):
    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    response = supervisor.get(f"/api/v1/supervision/stats.csv?{APRIL}", expect=200)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:5] == ["部门", "部门代码", "区县", "区划代码", "受理数"]
    assert table[-1][0] == "合计" and table[-1][4:9] == ["5", "3", "4", "1", "3"]
    hukou = next(row for row in table if row[1] == "police_household" and row[3] == "430104")
    assert hukou[2] == "长沙市岳麓区" and hukou[9] == "100.0%" and hukou[10] == "1.0"


def test_overdue_csv_lists_the_same_matters(supervision_stack, april_2025, in_may):
    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    response = supervisor.get("/api/v1/supervision/overdue.csv", expect=200)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][0] == "申请编号"
    references = [row[0] for row in table[1:]]
    assert april_2025["a"].reference in references and april_2025["b"].reference not in references


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from app.supervision.service import to_csv

    data = to_csv(["名称"], [["=HYPERLINK(\"http://x\")"], ["-1+2"], ["@SUM(A1)"], ["正常"], [None], [3]])
    cells = [row[0] for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
    assert cells == ["名称", "'=HYPERLINK(\"http://x\")", "'-1+2", "'@SUM(A1)", "正常", "", "3"]


@pytest.mark.parametrize("who", ["clerk.cs", None, "family"])
def test_only_supervisors_and_admins_get_in(supervision_stack, who):
    api = Api(supervision_stack.base_url)
    if who == "family":
        api = api.as_family(name="李梅", id_number=person_id_number(date(1975, 6, 18), "2", serial="77"),
                            phone="13900000000")
        expected = 403
    elif who:
        api = api.as_staff(who)
        expected = 403
    else:
        expected = 401
    for path in ("/stats", "/stats.csv", "/overdue", "/overdue.csv", "/rectifications", "/operator-alerts"):
        body = api.get(f"/api/v1/supervision{path}", expect=expected).json()
        assert set(body) == {"code", "message", "errors"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2025-05-01&to=2025-04-01", "from"), ("from=2024-01-01&to=2025-04-01", "to"), ("from=2025-13-01", "from")],
)
def test_a_bad_period_is_refused_in_the_one_error_shape(supervision_stack, query, field):
    supervisor = Api(supervision_stack.base_url).as_staff("t.supervisor.cs")
    body = supervisor.get(f"/api/v1/supervision/stats?{query}", expect=422).json()
    assert set(body) == {"code", "message", "errors"} and field in body["errors"]
