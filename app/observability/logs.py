"""Log lines an operator can search: JSON (or text), each with its request id and job id, and
no private numbers.

``LOG_FORMAT=json`` writes one JSON object a line to stderr::

    {"ts": "2026-11-03T02:15:04.120Z", "level": "INFO", "logger": "hsyjs.request",
     "message": "POST /api/v1/cases 201 35.2 ms", "request_id": "…", "job_id": null, …extra}

Every line passes :class:`PrivateNumberFilter` first, the last line of defence behind the masks
of ``app.masking`` (SPEC §9): a run of 7 or more digits — an ID number, a bank or card number, an
11-digit phone, also written with spaces or dashes — keeps its first 3 and last 2 digits. Ids
(uuid4 hex, canonical uuids) and ISO dates and times stay readable.
"""
from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timezone

from app.masking import LONG_NUMBER, mask_number_run
from app.observability import context

_KEEP = (
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])[0-9a-fA-F]{32}(?![0-9A-Za-z])"  # our row ids and RQ's
    r"|(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?!\d)"  # ISO 8601 dates and times
)
_SCRUB = re.compile(rf"(?P<keep>{_KEEP})|(?P<number>{LONG_NUMBER.pattern})")


def scrub(text: str) -> str:
    """``text`` with every run of ≥ 7 digits (``app.masking.LONG_NUMBER``) masked as in answers:
    13800000000 → 138******00, 430104194803120013 → 430*************13,
    ``6222 0000 0000 0001`` → 622***********01; ids and ISO dates are kept."""
    return _SCRUB.sub(lambda match: match["keep"] or mask_number_run(match["number"]), text)


#: Attributes every LogRecord has; anything else on a record came in through ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class ContextFilter(logging.Filter):
    """Put ``request_id`` and ``job_id`` on every record (``None`` outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = context.request_id()
        if getattr(record, "job_id", None) is None:
            record.job_id = context.job_id()
        return True


class PrivateNumberFilter(logging.Filter):
    """Mask long digit runs in the message, string extras and the exception text of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, scrub(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts (UTC), level, logger, message, request_id, job_id, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "job_id": getattr(record, "job_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s job=%(job_id)s] %(message)s"


class _NoLock:
    """Stands in for a handler's lock where the kernel keeps the lines whole."""

    def acquire(self, *args, **kwargs) -> bool:
        return True

    def release(self) -> None:
        return None

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        return None


class StderrHandler(logging.Handler):
    """Each formatted line to file descriptor 2 (stderr) in one ``os.write``, with no lock.

    The kernel keeps a line whole (a pipe for lines up to ``PIPE_BUF`` = 4096 bytes, a file opened
    for appending for any length), so request threads need not queue for the lock a
    ``StreamHandler`` takes around its buffered write and flush. Under load they did, each
    giving up the GIL to the next: one log line a request cost the family's poll about 15 % of
    its throughput (issue 9, docs/BENCHMARKS.md)."""

    terminator = "\n"

    def __init__(self, fd: int = 2):
        super().__init__()
        self.fd = fd

    def createLock(self) -> None:
        self.lock = _NoLock()

    def _at_fork_reinit(self) -> None:
        return None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + self.terminator).encode("utf-8", "backslashreplace")
            while data:
                data = data[os.write(self.fd, data):]
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - logging's own convention: report, never raise
            self.handleError(record)


def make_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler with the context and private-number filters: to ``stream`` when given, else
    straight to stderr (:class:`StderrHandler`)."""
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.addFilter(ContextFilter())
    handler.addFilter(PrivateNumberFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler._hsyjs = True  # ours: replaced, not added twice, when another app is built
    return handler


def configure_logging(*, log_format: str, level: str) -> None:
    """Send the root logger's lines through one handler of ours (replacing an earlier one of ours,
    leaving others' handlers alone) at ``level``."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_hsyjs", False)]:
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)


def adopt(logger_name: str) -> None:
    """Let a library logger that set up its own handlers (RQ's ``rq.worker``) write through ours."""
    logger = logging.getLogger(logger_name)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True
