"""Case numbers (申请编号): a random number already taken that day is drawn again, never answered
as "this deceased already has a case" (found by the 1,000-person privacy run on PostgreSQL)."""
from __future__ import annotations

import itertools

from app.cases import service
from tests.helpers import HUKOU_MATERIALS, STAFF_PASSWORD, fresh_worked_example
from tests.ops.support import make_app, ops_env


def _clerk(client) -> dict:
    token = client.post("/api/v1/auth/staff-login", json={"username": "clerk.cs", "password": STAFF_PASSWORD}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_a_reference_already_taken_is_drawn_again(tmp_path, monkeypatch):
    from app.cli import seed_sandbox

    app = make_app(ops_env(tmp_path))
    with app.app_context():
        seed_sandbox()
    client = app.test_client()
    headers = _clerk(client)
    draws = itertools.chain(["SH20261129000001", "SH20261129000001", "SH20261129000002"],
                            (f"SH20261129{n:06d}" for n in itertools.count(3)))
    monkeypatch.setattr(service, "_random_reference", lambda: next(draws))

    first = client.post("/api/v1/cases", json={**fresh_worked_example(), "materials_received": HUKOU_MATERIALS},
                        headers=headers)
    assert first.status_code == 201 and first.json["reference"] == "SH20261129000001"
    other = fresh_worked_example()  # another deceased
    second = client.post("/api/v1/cases", json={**other, "materials_received": HUKOU_MATERIALS}, headers=headers)
    assert second.status_code == 201, second.json
    assert second.json["reference"] == "SH20261129000002"
