"""The cross-family matrix: three families of two members, each with a case, matters, messages
and a QR code. Every endpoint that takes an id (from ``/openapi.json``) is called by every family
member with every other family's ids — alone and mixed with their own case — and must answer
exactly what it answers for an id that does not exist: 0 leaks, the same 404.

Run on the embedded stack: six live cases keep the departments' job queue busy for minutes on
the PostgreSQL stack's two workers, and the checks are the same code on both (revocation, the
part that differs, is tested on both in ``tests/identity/test_sessions.py``)."""
from __future__ import annotations

import itertools

from tests.people import make_family, unknown_id
from tests.security.openapi import operations, request_kwargs

#: Path parameters that name a family's objects, and which of a family's ids fill them.
FAMILY_PARAMS = {
    "case_id": lambda f: [f.case_id],
    "member_id": lambda f: f.member_ids,
    "message_id": lambda f: f.message_ids[:2],
    "matter_id": lambda f: f.matter_ids[:2],
    "upload_id": lambda f: f.upload_ids,
}
#: Other path parameters (not a family's): one fixed value each.
OTHER_PARAMS = {"window_id": "cs-funeral-home", "department": "health", "code": "death_certificate",
                "idempotency_key": "x", "delivery_id": "1"}
def _answer(api, op, values):
    response = api.request(op.method, op.url(values), **request_kwargs(str(op)))
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return response.status_code, body, response.text


def _combinations(op, attacker_family, victim):
    """``(values, unknown values)`` pairs: all of the victim's ids, and the attacker's own case
    with the victim's other ids (the classic mix-up)."""
    params = op.params
    family_params = [p for p in params if p in FAMILY_PARAMS]
    if not family_params or any(p not in FAMILY_PARAMS and p not in OTHER_PARAMS for p in params):
        return
    fixed = {p: OTHER_PARAMS[p] for p in params if p in OTHER_PARAMS}
    choices = [FAMILY_PARAMS[p](victim) for p in family_params]
    for picked in itertools.product(*choices):
        foreign = dict(zip(family_params, picked))
        yield {**fixed, **foreign}, {**fixed, **{p: unknown_id(p) for p in family_params}}
        if "case_id" in foreign and len(family_params) > 1:
            mixed = {**foreign, "case_id": attacker_family.case_id}
            yield {**fixed, **mixed}, {**fixed, **mixed, **{p: unknown_id(p) for p in family_params if p != "case_id"}}


def test_no_family_reaches_another_familys_objects(embedded_stack):
    families = [make_family(embedded_stack) for _ in range(3)]
    ops = operations(embedded_stack.base_url)
    unmapped = sorted({p for op in ops for p in op.params if p not in FAMILY_PARAMS and p not in OTHER_PARAMS})
    assert unmapped == [], "new path parameters: say in FAMILY_PARAMS or OTHER_PARAMS what fills them"
    leaks, calls = [], 0
    for attacker_family, victim in itertools.permutations(families, 2):
        for api in (attacker_family.applicant_api, attacker_family.relative_api):
            for op in ops:
                if op.path.startswith("/sandbox/"):
                    continue
                for foreign, unknown in _combinations(op, attacker_family, victim):
                    calls += 1
                    status, body, text = _answer(api, op, foreign)
                    expected_status, expected_body, _ = _answer(api, op, unknown)
                    secrets = [s for s in victim.secrets() if s in text]
                    if (status, body) != (expected_status, expected_body) or status not in {403, 404, 422} or secrets:
                        leaks.append(f"{op} {foreign}: {status} (unknown id: {expected_status}) {text[:160]}")
    assert calls > 100
    assert leaks == []
    # The owners still reach their own case: the calls above changed nothing.
    for family in families:
        family.relative_api.get(f"/api/v1/cases/{family.case_id}", expect=200)


def test_lists_and_scans_show_nothing_of_other_families(embedded_stack):
    families = [make_family(embedded_stack) for _ in range(3)]
    for attacker_family, victim in itertools.permutations(families, 2):
        for api in (attacker_family.applicant_api, attacker_family.relative_api):
            for path in ("/api/v1/me/cases", "/api/v1/me/messages"):
                text = api.get(path, expect=200).text
                assert not [s for s in victim.secrets() if s in text], path
            preview = api.post("/api/v1/scan", json={"token": victim.token}, expect=200)
            assert set(preview.json()) == {"kind", "window_name", "deceased_masked_name"}
            assert not [s for s in victim.secrets() if s in preview.text and s != victim.token]
    # Holding another family's code and asking to join gives no access without approval.
    attacker, victim = families[0], families[1]
    assert attacker.relative_api.post("/api/v1/scan/bind", json={"token": victim.token},
                                      expect=200).json()["membership"] == "pending"
    assert attacker.relative_api.get(f"/api/v1/cases/{victim.case_id}").status_code == 404
