"""Configuration: every environment variable the product reads is read here and nowhere else.

With no variables set the product runs embedded: SQLite under ``instance/``, jobs on an
in-process runner, the sandbox platform and departments enabled. Production sets
``DATABASE_URL`` (PostgreSQL, psycopg 3) and ``REDIS_URL`` (RQ workers) and turns the sandbox off.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

#: Department kinds of SPEC §7, one adapter each.
DEPARTMENTS = (
    "health",
    "police_household",
    "police_traffic",
    "funeral_home",
    "civil_affairs",
    "medical_security",
    "hrss",
    "housing_fund",
)


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(env: dict[str, str]) -> str:
    url = env.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'hsyjs.sqlite3'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 dialect named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url



def load_config(environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables.

    In: ``environ`` (defaults to ``os.environ``). Out: a dict of Flask config keys.
    Raises ``RuntimeError`` when production mode lacks a required secret.
    """
    env = dict(os.environ if environ is None else environ)
    sandbox = _bool(env.get("SANDBOX"), default=True)
    redis_url = env.get("REDIS_URL", "")
    jwt_secret = env.get("JWT_SECRET", "")
    if not jwt_secret:
        if not sandbox:
            raise RuntimeError("JWT_SECRET must be set when SANDBOX is off")
        # Shared by every process of one embedded run through the instance folder.
        jwt_secret = _instance_secret("jwt")
    callback_secrets = _department_secrets(env.get("DEPARTMENT_CALLBACK_SECRETS", ""), sandbox)
    base_url = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SANDBOX": sandbox,
        "SQLALCHEMY_DATABASE_URI": _database_url(env),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RQ_QUEUE": env.get("RQ_QUEUE", "hsyjs"),
        # The reconciler re-queues work stuck longer than RECONCILE_AFTER_SECONDS.
        "RECONCILE_INTERVAL_SECONDS": int(env.get("RECONCILE_INTERVAL_SECONDS", "30")),
        "RECONCILE_AFTER_SECONDS": int(env.get("RECONCILE_AFTER_SECONDS", "120")),
        "EMBEDDED_RUNNER_THREADS": int(env.get("EMBEDDED_RUNNER_THREADS", "4")),
        "PUBLIC_BASE_URL": base_url,
        # Where department adapters send matters; in sandbox mode the app's own sandbox.
        "DEPARTMENT_BASE_URL": env.get("DEPARTMENT_BASE_URL", f"{base_url}/sandbox/departments").rstrip("/"),
        "DEPARTMENT_TIMEOUT_SECONDS": float(env.get("DEPARTMENT_TIMEOUT_SECONDS", "10")),
        "DEPARTMENT_CALLBACK_SECRETS": callback_secrets,
        "CALLBACK_MAX_SKEW_SECONDS": int(env.get("CALLBACK_MAX_SKEW_SECONDS", "300")),
        # Sandbox departments: seconds between receiving a matter and each report back.
        "SANDBOX_DEPARTMENT_LATENCY_SECONDS": float(env.get("SANDBOX_DEPARTMENT_LATENCY_SECONDS", "0.3")),
        # The API base URL sandbox departments call back to.
        "SANDBOX_CALLBACK_BASE_URL": env.get("SANDBOX_CALLBACK_BASE_URL", base_url).rstrip("/"),
        "JWT_SECRET": jwt_secret,
        "JWT_KEY_ID": env.get("JWT_KEY_ID", "k1"),
        "JWT_ISSUER": env.get("JWT_ISSUER", "hsyjs"),
        "JWT_AUDIENCE": env.get("JWT_AUDIENCE", "hsyjs-app"),
        "ACCESS_TOKEN_SECONDS": int(env.get("ACCESS_TOKEN_SECONDS", "900")),
        "REFRESH_TOKEN_SECONDS": int(env.get("REFRESH_TOKEN_SECONDS", str(14 * 24 * 3600))),
        "LOGIN_CODE_SECONDS": int(env.get("LOGIN_CODE_SECONDS", "300")),
        "QR_LINK_BASE": env.get("QR_LINK_BASE", f"{base_url}/mp/scan").rstrip("/"),
        "QR_SECRET": env.get("QR_SECRET") or _required_secret("QR_SECRET", "qr", sandbox),
        "QR_TOKEN_DAYS": int(env.get("QR_TOKEN_DAYS", "90")),
        "CALENDAR_OVERRIDES_PATH": env.get(
            "CALENDAR_OVERRIDES_PATH", str(PROJECT_ROOT / "app" / "calendar" / "data" / "overrides.json")
        ),
        "CATALOGUE_PATH": env.get(
            "CATALOGUE_PATH", str(PROJECT_ROOT / "app" / "catalogue" / "data" / "matters.json")
        ),
        "SANDBOX_STAFF_PASSWORD": env.get("SANDBOX_STAFF_PASSWORD", "sandbox-pass-2026"),
        "API_TITLE": "身后一件事一次办 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_AS_ASCII": False,
    }


def _required_secret(variable: str, name: str, sandbox: bool) -> str:
    if not sandbox:
        raise RuntimeError(f"{variable} must be set when SANDBOX is off")
    return _instance_secret(name)


def _instance_secret(name: str) -> str:
    """A random development secret kept in ``instance/`` so every embedded process shares it."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / f"dev-{name}.secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _department_secrets(raw: str, sandbox: bool) -> dict[str, list[str]]:
    """``{"health": ["s1", "s0"], ...}`` from JSON; the first secret signs, all verify (rotation)."""
    if raw:
        parsed = json.loads(raw)
        return {dept: ([v] if isinstance(v, str) else list(v)) for dept, v in parsed.items()}
    if not sandbox:
        raise RuntimeError("DEPARTMENT_CALLBACK_SECRETS must be set when SANDBOX is off")
    shared = _instance_secret("department-callbacks")
    return {dept: [f"{shared}-{dept}"] for dept in DEPARTMENTS}
