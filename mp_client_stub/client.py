"""A small HTTP client for the API (SPEC §10), the way the mobile app would call it."""
from __future__ import annotations

from typing import Any

import requests


class ApiError(Exception):
    """An error answer of the API: ``{"code", "message", "errors"}`` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"HTTP {self.status} {self.code}: {self.message}"
        for field, problems in self.errors.items():
            text += f"\n  - {field}: {'；'.join(map(str, problems)) if isinstance(problems, list) else problems}"
        return text


class ServerUnreachable(Exception):
    """The server did not answer at all (not running, wrong address, connection refused)."""


class ApiClient:
    """One signed-in (or anonymous) user of the API.

    ``base_url`` is the server root (``http://127.0.0.1:5000``); paths are given from there
    (``/api/v1/...``). After a login call, :attr:`token` is sent as a bearer token.
    """

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 15.0,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.refresh_token: str | None = None
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")

    # --- plumbing --------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                raw: bool = False) -> Any:
        """Call the API; return the decoded JSON (or the :class:`requests.Response` when ``raw``).

        Raises :class:`ApiError` for an error answer and :class:`ServerUnreachable` when
        the server cannot be reached.
        """
        response = self._send(method, path, json=json, params=params)
        if response.status_code == 401 and self.refresh_token and not path.startswith("/api/v1/auth/"):
            self._refresh()  # the access token expired during a long watch: rotate once and retry
            response = self._send(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise self._error(response)
        if raw:
            return response
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _send(self, method: str, path: str, *, json: Any, params: dict | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            return self.session.request(method, self.base_url + path, json=json, params=params,
                                        headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ServerUnreachable(f"{self.base_url}: {exc}") from exc

    def _refresh(self) -> None:
        token, self.refresh_token = self.refresh_token, None
        self._remember(self.post("/api/v1/auth/refresh", {"refresh_token": token}))

    def _remember(self, answer: dict) -> dict:
        self.token = answer["access_token"]
        self.refresh_token = answer.get("refresh_token")
        return answer

    @staticmethod
    def _error(response: requests.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and "code" in body:
            return ApiError(response.status_code, str(body.get("code")), str(body.get("message", "")),
                            body.get("errors") or {})
        snippet = response.text[:200].strip()
        return ApiError(response.status_code, "http_error", snippet or response.reason or "")

    def get(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs) -> Any:
        return self.request("POST", path, json=json if json is not None else {}, **kwargs)

    # --- the calls the journey makes -------------------------------------------------------

    def staff_login(self, username: str, password: str) -> dict:
        return self._remember(self.post("/api/v1/auth/staff-login", {"username": username, "password": password}))

    def sandbox_login_code(self, *, name: str, id_number: str, phone: str) -> str:
        return self.post("/sandbox/platform/login-codes",
                         {"name": name, "id_number": id_number, "phone": phone})["code"]

    def platform_login(self, code: str) -> dict:
        return self._remember(self.post("/api/v1/auth/platform-login", {"code": code}))

    def eligibility(self, form: dict) -> dict:
        return self.post("/api/v1/eligibility", form)

    def create_case(self, form: dict, *, materials_received: list[str] | None = None) -> dict:
        body = dict(form)
        if materials_received is not None:
            body["materials_received"] = list(materials_received)
        return self.post("/api/v1/cases", body)

    def case(self, case_id: str) -> dict:
        return self.get(f"/api/v1/cases/{case_id}")

    def timeline(self, case_id: str) -> list[dict]:
        return self.get(f"/api/v1/cases/{case_id}/timeline")

    def qrcode_link(self, case_id: str) -> dict:
        """``{"link", "token"}``: what the case's QR code encodes."""
        return self.get(f"/api/v1/cases/{case_id}/qrcode", params={"format": "json"})

    def qrcode_image(self, case_id: str, fmt: str = "png") -> bytes:
        return self.get(f"/api/v1/cases/{case_id}/qrcode", params={"format": fmt}, raw=True).content

    def scan(self, token: str) -> dict:
        return self.post("/api/v1/scan", {"token": token})

    def bind(self, token: str) -> dict:
        return self.post("/api/v1/scan/bind", {"token": token})

    def my_cases(self) -> list[dict]:
        return self.get("/api/v1/me/cases")

    def my_messages(self) -> list[dict]:
        return self.get("/api/v1/me/messages")

    def case_summary(self, case_id: str) -> dict:
        """The completion letter: what each department confirmed (``GET /api/v1/cases/{id}/summary``)."""
        return self.get(f"/api/v1/cases/{case_id}/summary")
