"""Prometheus metrics at /metrics — issue 10 §3: requests by route and status, jobs by queue and
outcome, matters by state and department, dispatch failures, overdue matters, deliveries; only
for the loopback address or a holder of METRICS_TOKEN."""
from __future__ import annotations

import pytest

from tests.helpers import HUKOU_MATERIALS, Api, all_final, fresh_worked_example
from tests.ops.metrics_parse import samples, value
from tests.ops.support import make_app, ops_env


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(ops_env(tmp_path_factory.mktemp("metrics")))


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def test_requests_are_counted_by_route_template_method_and_status(app):
    client = app.test_client()
    before = scrape(client)
    for _ in range(3):
        client.get("/api/v1/cases/some-case-id")  # 401: no token
    client.get("/api/v1/catalogue/matters")
    after = scrape(client)
    route = "/api/v1/cases/<case_id>"
    assert value(after, "hsyjs_http_requests_total", route=route, method="GET", status="401") - \
        value(before, "hsyjs_http_requests_total", route=route, method="GET", status="401") == 3
    assert value(after, "hsyjs_http_requests_total", route="/api/v1/catalogue/matters", method="GET", status="200") >= 1
    assert value(after, "hsyjs_http_request_duration_seconds_count", route=route, method="GET") >= 3
    assert not any("some-case-id" in str(key) for key in after)  # the template, never the raw path


def test_made_up_paths_and_methods_do_not_grow_the_metrics(app):
    client = app.test_client()
    for i in range(5):
        client.open(f"/made/up/{i}", method=f"BREW{i}")
    got = scrape(client)
    routes_methods = {(dict(labels)["route"], dict(labels)["method"]) for name, labels in got
                      if name == "hsyjs_http_requests_total"}
    assert ("unmatched", "OTHER") in routes_methods
    assert not any(route.startswith("/made/") or method.startswith("BREW") for route, method in routes_methods)


def test_metrics_answer_only_loopback_callers_that_no_proxy_forwarded(app):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    far = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert far.status_code == 403 and set(far.get_json()) == {"code", "message", "errors"}
    forwarded = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 403


def test_metrics_token_when_configured(tmp_path):
    client = make_app(ops_env(tmp_path, METRICS_TOKEN="scrape-token-0123456789")).test_client()
    assert client.get("/metrics").status_code == 403  # loopback is not enough any more
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"},
                    environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert ok.status_code == 200


def test_proxy_fix_gives_rate_limits_and_metrics_the_real_client(tmp_path):
    """Behind one load balancer (PROXY_FIX_X_FOR=1) the client address is the last forwarded hop,
    the one our proxy added; what the client itself wrote in front of it is ignored."""
    from flask import request

    app = make_app(ops_env(tmp_path, PROXY_FIX_X_FOR="1"))
    seen = {}

    @app.get("/_ops_test_addr")
    def _addr():
        seen["addr"] = request.remote_addr
        return "ok"

    client = app.test_client()
    client.get("/_ops_test_addr", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
    assert seen["addr"] == "203.0.113.9"
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403


def test_jobs_matters_dispatch_and_overdue_are_reported(embedded_stack):
    from app.extensions import db
    from app.matters.models import Matter

    form = fresh_worked_example()
    clerk = Api(embedded_stack.base_url).as_staff()
    case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS}, expect=201).json()
    clerk.wait_for_case(case["id"], all_final, timeout=60)
    embedded_stack.wait_idle()
    client = embedded_stack.app.test_client()
    got = scrape(client)
    assert value(got, "hsyjs_metrics_source_up", source="database") == 1
    assert value(got, "hsyjs_matters", department="hrss", state="done") >= 1
    assert value(got, "hsyjs_matter_dispatch", department="hrss", state="sent") >= 1
    assert value(got, "hsyjs_jobs_total", queue="embedded", job="jobs.matters.dispatch_matter",
                 outcome="succeeded") >= 1
    assert value(got, "hsyjs_job_duration_seconds_count", queue="embedded", job="jobs.matters.dispatch_matter") >= 1

    # One matter failed to dispatch and one is past its due time: both show at the next scrape.
    from app import clock

    with embedded_stack.app.app_context():
        matters = db.session.scalars(db.select(Matter).where(Matter.case_id == case["id"])).all()
        failed_before = value(got, "hsyjs_matter_dispatch", department=matters[0].department, state="failed")
        overdue_before = value(got, "hsyjs_matters_overdue", department=matters[1].department)
        saved = matters[0].dispatch_state, matters[1].status
        matters[0].dispatch_state = "failed"
        matters[1].status, matters[1].overdue_at = "accepted", clock.now()
        db.session.commit()
        departments = matters[0].department, matters[1].department
        try:
            got = scrape(client)
        finally:  # the shared stack's other tests must not meet this made-up state
            matters[0].dispatch_state, (matters[1].status, matters[1].overdue_at) = saved[0], (saved[1], None)
            db.session.commit()
    assert value(got, "hsyjs_matter_dispatch", department=departments[0], state="failed") == failed_before + 1
    assert value(got, "hsyjs_matters_overdue", department=departments[1]) == overdue_before + 1
