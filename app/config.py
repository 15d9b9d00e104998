"""Configuration: every environment variable the product reads is read here and nowhere else.

With no variables set the product runs embedded: SQLite under ``instance/``, jobs on an
in-process runner, the sandbox platform and departments enabled. Production sets
``DATABASE_URL`` (PostgreSQL, psycopg 3) and ``REDIS_URL`` (RQ workers) and turns the sandbox off.
With Redis, jobs go to three RQ queues named ``<RQ_QUEUE>-dispatch``, ``<RQ_QUEUE>-notifications``
and ``<RQ_QUEUE>-maintenance`` (``RQ_QUEUE`` is a prefix, default ``hsyjs``; see :data:`QUEUES`).
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
#: The Alembic scripts (``flask db …``; their heads are what ``/readyz`` expects).
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

#: Department kinds of SPEC §7, one adapter each.
#: The logical job queues (issue 10 §1), in the order a worker on all of them takes work: the
#: first non-empty queue first. ``app.tasks.JOB_QUEUES`` puts every job on one of them; on Redis
#: each is the RQ queue ``f"{RQ_QUEUE}-{name}"`` (``app.tasks.queue_name``).
QUEUES = ("dispatch", "notifications", "maintenance")

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



def _queues(value: str) -> tuple[str, ...]:
    """``RQ_QUEUES``: logical queue names separated by commas or spaces, empty = every queue of
    :data:`QUEUES`. Out: them in the order given. Raises ``RuntimeError`` on a name not in QUEUES."""
    names = tuple(dict.fromkeys(value.replace(",", " ").split()))
    unknown = [name for name in names if name not in QUEUES]
    if unknown:
        raise RuntimeError(f"RQ_QUEUES: unknown queue {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    return names or QUEUES


def load_config(environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from environment variables.

    In: ``environ`` (defaults to ``os.environ``). Out: a dict of Flask config keys.
    Raises ``RuntimeError`` when production mode lacks a required secret.
    """
    env = dict(os.environ if environ is None else environ)
    # The sandbox (pretend platform login, pretend departments) is on by default only for the
    # embedded default; with a real database it must be asked for, so production cannot forget it.
    sandbox = _bool(env.get("SANDBOX"), default=not env.get("DATABASE_URL"))
    redis_url = env.get("REDIS_URL", "")
    jwt_secret = env.get("JWT_SECRET", "")
    if not jwt_secret and not env.get("JWT_KEYS"):
        if not sandbox:
            raise RuntimeError("JWT_SECRET (or JWT_KEYS) must be set when SANDBOX is off")
        # Shared by every process of one embedded run through the instance folder.
        jwt_secret = _instance_secret("jwt")
    callback_secrets = _department_secrets(env.get("DEPARTMENT_CALLBACK_SECRETS", ""), sandbox)
    base_url = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SANDBOX": sandbox,
        "SQLALCHEMY_DATABASE_URI": _database_url(env),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # RQ_QUEUE is the prefix of the RQ queue names (hsyjs-dispatch, hsyjs-notifications, …;
        # a test run or a second installation on one Redis picks its own); RQ_QUEUES the logical
        # queues a worker started without queue arguments listens on (default: all, in QUEUES order).
        "RQ_QUEUE": env.get("RQ_QUEUE", "hsyjs"),
        "RQ_QUEUES": _queues(env.get("RQ_QUEUES", "")),
        # The family's case answer is kept in Redis this long while the case is unchanged (0: off;
        # the most a change committed by a process that died at once can stay unseen);
        # app.cases.answer_cache. A Redis call of the cache gives up after the timeout.
        "CASE_ANSWER_CACHE_SECONDS": int(env.get("CASE_ANSWER_CACHE_SECONDS", "120")),
        "CASE_ANSWER_CACHE_TIMEOUT_SECONDS": float(env.get("CASE_ANSWER_CACHE_TIMEOUT_SECONDS", "0.2")),
        # Each API process keeps a copy of the Redis keys every family poll reads (session
        # revocations, kept case answers) while Redis reports them unchanged: at most this many
        # bytes of values (0: off, every poll asks Redis); app.tracked_keys.
        "TRACKED_KEYS_MAX_BYTES": int(env.get("TRACKED_KEYS_MAX_BYTES", str(4 * 1024 * 1024))),
        # The reconciler re-queues work stuck longer than RECONCILE_AFTER_SECONDS.
        "RECONCILE_INTERVAL_SECONDS": int(env.get("RECONCILE_INTERVAL_SECONDS", "30")),
        "RECONCILE_AFTER_SECONDS": int(env.get("RECONCILE_AFTER_SECONDS", "120")),
        # A periodic job (reconcile, SLA scan, retention purge) is stopped after this long
        # (app.tasks.job_timeout; dispatch jobs follow DEPARTMENT_TIMEOUT_SECONDS, notification
        # jobs NOTIFY_TIMEOUT_SECONDS). deploy/systemd's TimeoutStopSec covers the longest.
        "MAINTENANCE_JOB_TIMEOUT_SECONDS": _positive_int(env, "MAINTENANCE_JOB_TIMEOUT_SECONDS", 300),
        # The SLA scan (app.supervision.sla): how often; how long before a due time the
        # department is reminded (at most half the matter's whole period).
        "SLA_SCAN_INTERVAL_SECONDS": int(env.get("SLA_SCAN_INTERVAL_SECONDS", "300")),
        "DEADLINE_REMIND_HOURS": float(env.get("DEADLINE_REMIND_HOURS", "24")),
        "EMBEDDED_RUNNER_THREADS": int(env.get("EMBEDDED_RUNNER_THREADS", "4")),
        "PUBLIC_BASE_URL": base_url,
        # Where department adapters send matters; in sandbox mode the app's own sandbox.
        "DEPARTMENT_BASE_URL": env.get("DEPARTMENT_BASE_URL", f"{base_url}/sandbox/departments").rstrip("/"),
        "DEPARTMENT_TIMEOUT_SECONDS": float(env.get("DEPARTMENT_TIMEOUT_SECONDS", "10")),
        # Per-department overrides: {"hrss": {"base_url": "...", "timeout": 20}}.
        "DEPARTMENT_ENDPOINTS": json.loads(env.get("DEPARTMENT_ENDPOINTS", "") or "{}"),
        # Transient failures (network, 408, 429, 5xx) are retried with exponential backoff and
        # full jitter: min(cap, base * 2**try) seconds, at most DEPARTMENT_MAX_ATTEMPTS sends.
        "DEPARTMENT_MAX_ATTEMPTS": int(env.get("DEPARTMENT_MAX_ATTEMPTS", "8")),
        "DEPARTMENT_RETRY_BASE_SECONDS": float(env.get("DEPARTMENT_RETRY_BASE_SECONDS", "2")),
        "DEPARTMENT_RETRY_CAP_SECONDS": float(env.get("DEPARTMENT_RETRY_CAP_SECONDS", "300")),
        "DEPARTMENT_CALLBACK_SECRETS": callback_secrets,
        "CALLBACK_MAX_SKEW_SECONDS": int(env.get("CALLBACK_MAX_SKEW_SECONDS", "300")),
        # Sandbox departments: seconds between receiving a matter and each report back.
        "SANDBOX_DEPARTMENT_LATENCY_SECONDS": float(env.get("SANDBOX_DEPARTMENT_LATENCY_SECONDS", "0.3")),
        # The API base URL sandbox departments call back to.
        "SANDBOX_CALLBACK_BASE_URL": env.get("SANDBOX_CALLBACK_BASE_URL", base_url).rstrip("/"),
        "JWT_SECRET": jwt_secret,
        "JWT_KEY_ID": env.get("JWT_KEY_ID", "k1"),
        **_identity_config(env, sandbox=sandbox, base_url=base_url, redis_url=redis_url, jwt_secret=jwt_secret),
        "JWT_ISSUER": env.get("JWT_ISSUER", "hsyjs"),
        "JWT_AUDIENCE": env.get("JWT_AUDIENCE", "hsyjs-app"),
        "ACCESS_TOKEN_SECONDS": int(env.get("ACCESS_TOKEN_SECONDS", "900")),
        "REFRESH_TOKEN_SECONDS": int(env.get("REFRESH_TOKEN_SECONDS", str(14 * 24 * 3600))),
        "LOGIN_CODE_SECONDS": int(env.get("LOGIN_CODE_SECONDS", "300")),
        "QR_LINK_BASE": env.get("QR_LINK_BASE", f"{base_url}/mp/scan").rstrip("/"),
        **_privacy_config(env, sandbox),
        "QR_SECRET": env.get("QR_SECRET") or _required_secret("QR_SECRET", "qr", sandbox),
        "QR_TOKEN_DAYS": _positive_int(env, "QR_TOKEN_DAYS", 90),
        "CALENDAR_OVERRIDES_PATH": env.get(
            "CALENDAR_OVERRIDES_PATH", str(PROJECT_ROOT / "app" / "calendar" / "data" / "overrides.json")
        ),
        "CATALOGUE_PATH": env.get(
            "CATALOGUE_PATH", str(PROJECT_ROOT / "app" / "catalogue" / "data" / "matters.json")
        ),
        "SANDBOX_STAFF_PASSWORD": env.get("SANDBOX_STAFF_PASSWORD", "sandbox-pass-2026"),
        **_materials_config(env),
        **_notify_config(env, sandbox=sandbox),
        **_ops_config(env),
        "API_TITLE": "身后一件事一次办 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_AS_ASCII": False,
    }


def _privacy_config(env: dict[str, str], sandbox: bool) -> dict:
    """Keys for sealed fields and blind indexes (issue 6). ``DATA_KEYS``: JSON
    ``{key id: base64 of 32 random bytes}``; ``DATA_KEY_ID`` seals, every key opens.
    The embedded default generates development keys in ``instance/`` and says so in the log."""
    import base64
    import logging

    if env.get("DATA_KEYS"):
        keys = {kid: base64.b64decode(v) for kid, v in json.loads(env["DATA_KEYS"]).items()}
        kid = env.get("DATA_KEY_ID") or sorted(keys)[-1]
    elif sandbox:
        keys, kid = {"dev1": bytes.fromhex(_instance_secret("data-key"))}, "dev1"
        logging.getLogger(__name__).warning("using a generated DEVELOPMENT data key from instance/ (sandbox)")
    else:
        raise RuntimeError("DATA_KEYS must be set when SANDBOX is off")
    if kid not in keys or any(len(k) != 32 for k in keys.values()):
        raise RuntimeError("DATA_KEY_ID must name one of DATA_KEYS, each 32 bytes (base64)")
    blind = env.get("BLIND_INDEX_KEY") or (_instance_secret("blind-index") if sandbox else "")
    if not blind:
        raise RuntimeError("BLIND_INDEX_KEY must be set when SANDBOX is off")
    return {
        "DATA_KEYS": keys,
        "DATA_KEY_ID": kid,
        "BLIND_INDEX_KEY": blind.encode(),
        # Finished cases keep private fields this long, then they are redacted (PIPL Art. 47).
        "RETENTION_DAYS": _positive_int(env, "RETENTION_DAYS", 365),
        # Audit rows are kept at least six months (网络安全法 第21条).
        "AUDIT_RETENTION_DAYS": max(_positive_int(env, "AUDIT_RETENTION_DAYS", 190), 180),
    }


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    value = int(env.get(name) or default)
    if value <= 0:
        raise RuntimeError(f"{name} must be a positive number")
    return value


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


#: Rate limits (Flask-Limiter notation, ``;`` between several) and what each is counted per.
RATE_LIMIT_DEFAULTS = {
    "RATE_LIMIT_STAFF_LOGIN": "20/minute;200/day",  # per client address
    "RATE_LIMIT_STAFF_LOGIN_ACCOUNT": "5/minute;30/hour",  # per username and address: guessing, no lockout
    "RATE_LIMIT_PLATFORM_LOGIN": "30/minute",  # per client address
    "RATE_LIMIT_LOGIN_CODE": "10/minute",  # per client address (sandbox platform)
    "RATE_LIMIT_SCAN": "30/minute;300/day",  # per family member: QR token guessing
    "RATE_LIMIT_SCAN_IP": "120/minute",  # per client address
    "RATE_LIMIT_BIND": "10/minute;100/day",  # per family member
}


def _identity_config(env: dict[str, str], *, sandbox: bool, base_url: str, redis_url: str, jwt_secret: str) -> dict:
    """Sign-in, token keys, staff second factor, the platform adapter and rate limits (issue 5).

    ``JWT_KEYS`` is JSON ``{kid: secret}``; ``JWT_KEY_ID`` names the one that signs and every
    other verifies, so keys rotate without logging anyone out. Without it ``JWT_SECRET`` is the
    single key ``JWT_KEY_ID``.
    """
    kid = env.get("JWT_KEY_ID", "k1")
    keys = json.loads(env["JWT_KEYS"]) if env.get("JWT_KEYS") else {kid: jwt_secret}
    if kid not in keys:
        raise RuntimeError(f"JWT_KEY_ID {kid!r} is not one of JWT_KEYS")
    if not sandbox and any(len(secret) < 32 for secret in keys.values()):
        raise RuntimeError("every JWT key must be at least 32 characters")
    platform_base = env.get("PLATFORM_BASE_URL", f"{base_url}/sandbox/platform" if sandbox else "").rstrip("/")
    platform_secret = env.get("PLATFORM_CLIENT_SECRET", "")
    if not platform_secret and sandbox:
        platform_secret = _instance_secret("platform-client")
    if platform_base and not platform_secret:
        raise RuntimeError("PLATFORM_CLIENT_SECRET must be set with PLATFORM_BASE_URL")
    return {
        "JWT_KEYS": keys,
        "STAFF_TOTP_REQUIRED": _bool(env.get("STAFF_TOTP_REQUIRED"), default=not sandbox),
        "TOTP_ISSUER": env.get("TOTP_ISSUER", "身后一件事一次办"),
        # The platform (湘易办 / mini-program) code exchange; in sandbox mode the app's own sandbox.
        "PLATFORM_BASE_URL": platform_base,
        "PLATFORM_CLIENT_ID": env.get("PLATFORM_CLIENT_ID", "hsyjs"),
        "PLATFORM_CLIENT_SECRET": platform_secret,
        "PLATFORM_TIMEOUT_SECONDS": float(env.get("PLATFORM_TIMEOUT_SECONDS", "5")),
        # Flask-Limiter: Redis when REDIS_URL is set, else this process's memory; if Redis is
        # down the limits fall back to memory instead of failing the request.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", redis_url or "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "hsyjs-rl"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), default=True),
        **{name: env.get(name, default) for name, default in RATE_LIMIT_DEFAULTS.items()},
    }


#: Debian's TrueType CJK fonts the printed form can embed, first found wins (fonts-wqy-zenhei first).
PDF_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def _materials_config(env: dict[str, str]) -> dict:
    """Uploads (issue 8): size and pixel caps, where files are kept, the printed form's font.

    ``UPLOAD_MAX_BYTES`` caps one file (default 10 MiB); Flask's ``MAX_CONTENT_LENGTH`` caps the
    whole request a little above it, so an oversized body is refused (413) before it is read.
    ``UPLOAD_MAX_PIXELS`` caps width × height of an image, checked before it is decoded.
    ``UPLOAD_STORAGE`` is ``local`` (files under ``UPLOAD_DIR``); see ``app.materials.storage``.
    ``PDF_FONT_PATH``: a TrueType CJK font (.ttf/.ttc); empty = the first of
    ``PDF_FONT_CANDIDATES`` that exists.
    """
    max_bytes = int(env.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
    return {
        "UPLOAD_MAX_BYTES": max_bytes,
        "MAX_CONTENT_LENGTH": max_bytes + 256 * 1024,  # room for the multipart envelope
        "UPLOAD_MAX_PIXELS": int(env.get("UPLOAD_MAX_PIXELS", str(50_000_000))),
        "UPLOAD_STORAGE": env.get("UPLOAD_STORAGE", "local"),
        "UPLOAD_DIR": env.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads")),
        "PDF_FONT_PATH": env.get("PDF_FONT_PATH", ""),
    }


def _quiet_hours(raw: str) -> tuple[str, str] | None:
    """``"22:00-07:00"`` → ``("22:00", "07:00")``; ``""`` or ``off`` → ``None`` (no quiet hours)."""
    raw = raw.strip()
    if raw.lower() in {"", "off", "none"}:
        return None
    parts = [p.strip() for p in raw.split("-")]
    ok = len(parts) == 2 and all(len(p) == 5 and p[2] == ":" and p.replace(":", "").isdigit() for p in parts)
    if not ok or any(int(p[:2]) > 23 or int(p[3:]) > 59 for p in parts):
        raise RuntimeError(f"QUIET_HOURS must look like 22:00-07:00 (Asia/Shanghai), got {raw!r}")
    return parts[0], parts[1]


def _notify_config(env: dict[str, str], *, sandbox: bool) -> dict:
    """Telling the family (issue 7): channels, quiet hours, bounded retries.

    ``QUIET_HOURS`` (Asia/Shanghai, default ``22:00-07:00``; ``off`` disables): routine pushes wait
    until it ends, urgent ones go at once. ``NOTIFY_GATEWAY_URL`` is the platform's message centre
    (app push, mini-program subscribe messages, SMS); empty in sandbox mode = the sandbox twins,
    empty in production = inbox only. ``MP_TEMPLATE_IDS`` is JSON ``{"progress": "<platform
    template id>", ...}``. Failed sends are retried ``NOTIFY_MAX_ATTEMPTS`` times with backoff
    ``min(cap, base * 2**n)`` seconds; a send in flight is retried after ``NOTIFY_LEASE_SECONDS``.
    """
    return {
        "QUIET_HOURS": _quiet_hours(env.get("QUIET_HOURS", "22:00-07:00")),
        "NOTIFY_GATEWAY_URL": env.get("NOTIFY_GATEWAY_URL", "").rstrip("/"),
        "NOTIFY_GATEWAY_TOKEN": env.get("NOTIFY_GATEWAY_TOKEN", ""),
        "NOTIFY_SANDBOX_TWINS": sandbox and not env.get("NOTIFY_GATEWAY_URL"),
        "NOTIFY_TIMEOUT_SECONDS": float(env.get("NOTIFY_TIMEOUT_SECONDS", "5")),
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "5")),
        "NOTIFY_RETRY_BASE_SECONDS": float(env.get("NOTIFY_RETRY_BASE_SECONDS", "30")),
        "NOTIFY_RETRY_CAP_SECONDS": float(env.get("NOTIFY_RETRY_CAP_SECONDS", "1800")),
        "NOTIFY_LEASE_SECONDS": int(env.get("NOTIFY_LEASE_SECONDS", "120")),
        # How often the sweep queues due pushes (rq cron job ``notify-sweep``, or the embedded loop).
        "NOTIFY_SWEEP_SECONDS": int(env.get("NOTIFY_SWEEP_SECONDS", "60")),
        # A one-time subscribe consent unused this long is treated as lapsed *(configurable)*.
        "MP_CONSENT_DAYS": int(env.get("MP_CONSENT_DAYS", "30")),
        "MP_TEMPLATE_IDS": json.loads(env.get("MP_TEMPLATE_IDS", "") or "{}"),
    }


def _ops_config(env: dict[str, str]) -> dict:
    """Running it like production (issue 10): logs, metrics, proxies, readiness.

    ``LOG_FORMAT`` ``text`` (default) or ``json`` (one JSON object a line, for production);
    ``LOG_LEVEL`` (``INFO``). ``METRICS_TOKEN``: ``/metrics`` wants ``Authorization:
    Bearer <token>``; empty = only unproxied requests from the loopback address.
    ``PROXY_FIX_X_FOR``: how many proxies (load balancers) put ``X-Forwarded-For`` /
    ``X-Forwarded-Proto`` in front of this API, so rate limits count the real client address;
    ``0`` trusts none. ``PROMETHEUS_MULTIPROC_DIR``: the folder prometheus-client shares between
    gunicorn worker processes (``gunicorn.conf.py`` sets one up when it is empty).
    """
    log_format = env.get("LOG_FORMAT", "text").strip().lower()
    if log_format not in {"json", "text"}:
        raise RuntimeError(f"LOG_FORMAT must be json or text, got {log_format!r}")
    proxies = int(env.get("PROXY_FIX_X_FOR", "0") or 0)
    if proxies < 0:
        raise RuntimeError("PROXY_FIX_X_FOR must be 0 or more")
    return {
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").strip().upper(),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        "PROXY_FIX_X_FOR": proxies,
        "PROMETHEUS_MULTIPROC_DIR": env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        # /readyz: how long one dependency check may take before it counts as down.
        "READY_CHECK_TIMEOUT_SECONDS": float(env.get("READY_CHECK_TIMEOUT_SECONDS", "2")),
    }


def server_settings(environ: dict[str, str] | None = None) -> dict:
    """The gunicorn settings of ``gunicorn.conf.py`` (no secrets needed, nothing connects).

    ``BIND`` (default ``127.0.0.1:$PORT``, ``PORT`` 5000), ``WEB_CONCURRENCY`` worker processes
    (2), ``GUNICORN_THREADS`` threads each (8), ``GUNICORN_TIMEOUT`` seconds a request may take
    (60), ``GUNICORN_GRACEFUL_TIMEOUT`` seconds a SIGTERM'd worker has to finish (30).
    """
    env = dict(os.environ if environ is None else environ)
    return {
        "bind": env.get("BIND") or f"127.0.0.1:{env.get('PORT') or '5000'}",
        "workers": _positive_int(env, "WEB_CONCURRENCY", 2),
        "threads": _positive_int(env, "GUNICORN_THREADS", 8),
        "timeout": _positive_int(env, "GUNICORN_TIMEOUT", 60),
        "graceful_timeout": _positive_int(env, "GUNICORN_GRACEFUL_TIMEOUT", 30),
        "prometheus_multiproc_dir": env.get("PROMETHEUS_MULTIPROC_DIR", ""),
    }
