"""What the fuzzer works on: a fresh sandbox app, a family bound to a case a clerk filed, one
account of every staff role, and real ids, so that generated requests reach real rows some of
the time, not only 404s.

The app is served over HTTP on 127.0.0.1 as well (``tests.conftest.start_stack``), because the
app calls itself there: the platform-login code exchange and the sandbox departments. The
fuzzed requests themselves go in-process, through the WSGI app.

Fuzzing changes state (a logout revokes the token, a removed member loses the case), so after a
state-changing request succeeds the world checks its identities and renews what broke.
"""
from __future__ import annotations

import tempfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import start_stack
from tests.helpers import Api
from tests.people import Family, make_family

#: The sandbox staff accounts requests are sent as, one of each role (``app/cli.py``).
STAFF = {"clerk": "clerk.cs", "village": "village.yuelu", "officer": "officer.housing.cs",
         "supervisor": "supervisor.cs", "admin": "admin.hn"}
#: The identities: the applicant bound to the case (a family token), each staff role (the clerk
#: at the window that filed the case), and nobody (no token of ours: the ``Authorization``
#: header is whatever the generator makes of the bearer scheme, or none).
ROLES = ("family", *STAFF, "anonymous")
CLERK = STAFF["clerk"]
CLERK_WINDOW = "cs-funeral-home"


class LateApp:
    """A WSGI app whose target is set once the world exists. The schemas (and so the test items,
    one per operation) are made at collection, from :func:`served_document`; the app that
    answers is built only when the run starts."""

    app = None

    def __call__(self, environ, start_response):
        if self.app is None:
            raise RuntimeError("the fuzz world is not up (use the fuzz_world fixture)")
        return self.app(environ, start_response)


TARGET = LateApp()


def served_document() -> dict:
    """``/openapi.json`` of an app with the fuzz world's settings (sandbox on), built without a
    database: creating the app and serving the document connect to nothing."""
    from app import create_app
    from app.config import load_config
    from tests.ops.support import ops_env

    app = create_app(load_config(ops_env(Path(tempfile.gettempdir()) / "hsyjs-fuzz-document")))
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200, response.status_code
    return response.get_json()


@dataclass
class Tally:
    """Counts of the generated requests (not the checks' own probes), for the results file."""

    requests: int = 0
    by_role: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    by_phase: Counter = field(default_factory=Counter)
    by_operation: dict = field(default_factory=lambda: defaultdict(Counter))
    failures: Counter = field(default_factory=Counter)
    renewals: Counter = field(default_factory=Counter)

    def record(self, role: str, operation: str, phase: str, status: int) -> None:
        self.requests += 1
        self.by_role[role] += 1
        self.by_phase[phase] += 1
        self.by_status[str(status)] += 1
        self.by_operation[operation][role] += 1

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "by_role": dict(sorted(self.by_role.items())),
            "by_phase": dict(sorted(self.by_phase.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "responses_5xx": sum(n for s, n in self.by_status.items() if s.startswith("5")),
            "failures": dict(sorted(self.failures.items())),
            "renewals": dict(sorted(self.renewals.items())),
            "operations": len(self.by_operation),
            "by_operation": {op: dict(sorted(c.items())) for op, c in sorted(self.by_operation.items())},
        }


class World:
    """The live app and the identities and ids the fuzzed requests use."""

    def __init__(self, tmp: Path):
        self.stack, _ = start_stack("fuzz", {"DATABASE_URL": f"sqlite:///{tmp / 'fuzz.sqlite3'}"}, tmp)
        self.app = self.stack.app
        self.tally = Tally()
        self._tokens: dict[str, str | None] = {}
        self._pools: dict[str, list] = {}
        self._new_family()

    def close(self) -> None:
        self.stack.wait_idle()
        self.stack.server.shutdown()
        with self.app.app_context():
            from app.extensions import db

            db.engine.dispose()

    # --- identities ---------------------------------------------------------------------------
    def headers(self, role: str) -> dict[str, str] | None:
        """The ``Authorization`` header for ``role`` (``None`` for anonymous: keep the generated one)."""
        if role == "anonymous":
            return None
        if self._tokens.get(role) is None:
            api = Api(self.stack.base_url)
            if role == "family":
                self._tokens[role] = api.as_applicant(self.family.form).token
            else:
                self._tokens[role] = api.as_staff(STAFF[role]).token
        return {"Authorization": f"Bearer {self._tokens[role]}"}

    def after_call(self, role: str, method: str, status: int) -> None:
        """Renew what a successful state-changing request may have broken (a revoked token, a
        membership removed or refused, a family that can no longer read its case)."""
        if method == "GET" or not 200 <= status < 300:
            return
        for name, token in self._tokens.items():
            if token and not self._works(name):
                self._tokens[name] = None
                self.tally.renewals[f"{name} token"] += 1
        if self._tokens.get("family") is None and not self._family_reads_case():
            self._new_family()
            self.tally.renewals["family and case"] += 1

    def _new_family(self) -> None:
        self.family: Family = make_family(self.stack, clerk=CLERK)
        self._tokens.update(family=self.family.applicant_api.token, clerk=self.family.clerk_api.token)
        self._refresh_pools()

    def _works(self, role: str) -> bool:
        """The token still signs in (a made-up case is 404 then, not 401); the family's still
        lists its case."""
        headers = {"Authorization": f"Bearer {self._tokens[role]}"}
        if role == "family":
            response = self.app.test_client().get("/api/v1/me/cases", headers=headers)
            return response.status_code == 200 and any(c["id"] == self.family.case_id for c in response.get_json())
        return self.app.test_client().get("/api/v1/cases/0", headers=headers).status_code != 401

    def _family_reads_case(self) -> bool:
        headers = self.headers("family")
        response = self.app.test_client().get(f"/api/v1/cases/{self.family.case_id}", headers=headers)
        return response.status_code == 200

    # --- real ids -----------------------------------------------------------------------------
    def _refresh_pools(self) -> None:
        from sqlalchemy import select

        from app.config import DEPARTMENTS
        from app.extensions import db
        from app.notify.models import Delivery
        from app.sandbox.models import SandboxSubmission

        family = self.family
        catalogue = self.app.test_client().get("/api/v1/catalogue/matters").get_json()
        with self.app.app_context():
            deliveries = list(db.session.scalars(select(Delivery.id).order_by(Delivery.id.desc()).limit(20)))
            keys = list(db.session.scalars(select(SandboxSubmission.idempotency_key).limit(20)))
        self._pools = {
            "case_id": [family.case_id],
            "matter_id": family.matter_ids,
            "member_id": family.member_ids,
            "message_id": family.message_ids,
            "upload_id": family.upload_ids,
            "window_id": [CLERK_WINDOW],
            "department": list(DEPARTMENTS),
            "code": [m["code"] for m in catalogue],
            "delivery_id": deliveries,
            "idempotency_key": keys,
        }

    def use_real_ids(self, path_parameters: dict) -> dict:
        """Three times in four (decided by the generated values, so a case replays the same) the
        path parameters become ids that exist; the rest keep the generated, mostly unknown ones."""
        if not path_parameters:
            return path_parameters
        digest = zlib.crc32(repr(sorted(path_parameters.items())).encode())
        if digest % 4 == 0:
            return path_parameters
        chosen = dict(path_parameters)
        for name in path_parameters:
            pool = self._pools.get(name) or []
            if pool:
                chosen[name] = pool[(digest >> 2) % len(pool)]
        return chosen
