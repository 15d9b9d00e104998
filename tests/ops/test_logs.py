"""Log lines: JSON with a request id and a job id, carried from a request into its jobs, and no
private numbers (issue 10 §4; SPEC §9)."""
from __future__ import annotations

import io
import json
import logging
import random
import string
import uuid

import pytest

from app.observability import context
from app.observability.logs import make_handler, scrub
from tests.helpers import HUKOU_MATERIALS, Api, fresh_worked_example
from tests.ops.support import captured_json_logs, make_app, ops_env


@pytest.mark.parametrize("text, expected", [
    ("电话13800000000", "电话138******00"),
    ("tel13800000000 again", "tel138******00 again"),
    ("身份证 430104194803120013", "身份证 430*************13"),
    ("id 43010419480312001X.", "id 430*************1X."),
    ("card 6222 0000 0000 0001", "card 622***********01"),
    ("phone 138-0000-0000", "phone 138******00"),
    ("seven 1234567 digits", "seven 123**67 digits"),
])
def test_scrub_masks_every_run_of_seven_or_more_digits(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "case 3f2a1234567890abcdef1234567890ab",  # our row ids (uuid4 hex)
    "job 0b5e1a3c-1234-4567-8901-123456789012",  # RQ job ids
    "due 2026-02-02T23:59:59+08:00 and 2026-01-31 09:30:00",  # ISO dates and times
    "amount 123456 fen, 6 digits",  # short numbers stay
])
def test_scrub_keeps_ids_dates_and_short_numbers(text):
    assert scrub(text) == text


def _format(record_kwargs: dict, *, fmt: str = "json") -> str:
    buffer = io.StringIO()
    logger = logging.getLogger(f"tests.ops.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(make_handler(fmt, stream=buffer))
    logger.setLevel(logging.INFO)
    logger.info(*record_kwargs["args"], extra=record_kwargs.get("extra"))
    return buffer.getvalue()


def test_json_line_has_ids_extras_and_no_private_numbers_in_message_args_or_extras():
    token = context.bind_request("req-ops-1")
    try:
        with context.job_context(job="job-7", request="req-ops-1"):
            line = json.loads(_format({"args": ("sent to %s for %s", "13800000000", "王小明"),
                                       "extra": {"account": "6222000000000001", "matter": "m1"}}))
    finally:
        context.unbind_request(token)
    assert line["message"] == "sent to 138******00 for 王小明"
    assert line["request_id"] == "req-ops-1" and line["job_id"] == "job-7"
    assert line["account"] == "622***********01" and line["matter"] == "m1"
    assert line["level"] == "INFO" and line["ts"].endswith("Z")


def test_exception_text_is_scrubbed_too():
    buffer = io.StringIO()
    logger = logging.getLogger("tests.ops.exc")
    logger.propagate = False
    logger.addHandler(make_handler("json", stream=buffer))
    try:
        raise ValueError("bad id 430104194803120013")
    except ValueError:
        logger.exception("failed")
    line = json.loads(buffer.getvalue())
    assert "430104194803120013" not in buffer.getvalue()
    assert "ValueError: bad id 430*************13" in line["exc"]


def test_text_format_carries_the_ids_too():
    token = context.bind_request("req-text")
    try:
        out = _format({"args": ("hello",)}, fmt="text")
    finally:
        context.unbind_request(token)
    assert "[req=req-text job=None] hello" in out


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(ops_env(tmp_path_factory.mktemp("logs")))


def test_request_id_is_taken_from_the_caller_or_made_and_echoed(app):
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-Id": "lb-42.a:b_c"}).headers["X-Request-Id"] == "lb-42.a:b_c"
    made = client.get("/healthz").headers["X-Request-Id"]
    assert len(made) == 32 and made.isalnum()
    # Not an id: too long, spaces or markup -> replaced, never echoed into our logs.
    for hostile in ("x" * 65, "a b", "<script>", "13800000000 王", "ops-0418d9781234501"):
        echoed = client.get("/healthz", headers={"X-Request-Id": hostile}).headers["X-Request-Id"]
        assert echoed != hostile and len(echoed) == 32


def test_every_answer_logs_one_line_with_route_template_status_and_request_id(app):
    client = app.test_client()
    with captured_json_logs() as lines:
        client.get("/api/v1/cases/abc", headers={"X-Request-Id": "req-route"})
        client.get("/no/such/path?id=430104194803120013", headers={"X-Request-Id": "req-404"})
    by_id = {line["request_id"]: line for line in lines if line["logger"] == "hsyjs.request"}
    assert by_id["req-route"]["route"] == "/api/v1/cases/<case_id>" and by_id["req-route"]["status"] == 401
    assert by_id["req-404"]["route"] == "unmatched" and by_id["req-404"]["status"] == 404
    assert "430104194803120013" not in json.dumps(lines)


def test_jobs_a_request_queues_log_with_its_request_id_and_their_own_job_id(embedded_stack):
    """Embedded runner (the PostgreSQL + RQ path is shown in test_scaling)."""
    request_id = "ops-" + "".join(random.choices(string.ascii_lowercase, k=12))  # no digit run to mask
    form = fresh_worked_example()
    clerk = Api(embedded_stack.base_url).as_staff()
    with captured_json_logs() as lines:
        case = clerk.post("/api/v1/cases", json={**form, "materials_received": HUKOU_MATERIALS},
                          headers={"X-Request-Id": request_id}, expect=201)
        assert case.headers["X-Request-Id"] == request_id
        # Other tests' work may still occupy the runner's threads on a busy machine: wait for this
        # request's dispatch job itself to have run, then for the runner to settle.
        clerk.wait_for_case(case.json()["id"], lambda c: c["matters"][0]["dispatch_state"] != "pending", timeout=60)
        embedded_stack.wait_idle()
    jobs = [line for line in lines if line["logger"] == "hsyjs.job" and line["request_id"] == request_id]
    assert jobs, "no job line carried the request id"
    assert all(line["job_id"] and line["job_id"] != request_id for line in jobs)
    assert {line["job"] for line in jobs} >= {"jobs.matters.dispatch_matter"}
    text = json.dumps(lines, ensure_ascii=False)
    for private in (form["deceased"]["id_number"], form["applicant"]["id_number"], form["applicant"]["phone"]):
        assert private not in text


def test_lines_written_by_many_threads_at_once_stay_whole(tmp_path):
    """The default handler writes each line to stderr in one system call and takes no lock: 8
    threads writing at once through a pipe still give whole lines, none lost."""
    import os
    import threading

    from app.observability.logs import StderrHandler

    read_end, write_end = os.pipe()
    handler = make_handler("json")
    assert isinstance(handler, StderrHandler)
    handler.fd = write_end
    logger = logging.getLogger(f"tests.ops.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.INFO
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(read_end, 65536), b"")))
    reader.start()

    def write(n: int) -> None:
        for i in range(300):
            logger.info("thread %d line %d %s", n, i, "长" * (n * 40))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    os.close(write_end)
    reader.join()
    os.close(read_end)
    lines = b"".join(chunks).decode().splitlines()
    messages = sorted(json.loads(line)["message"] for line in lines)  # a torn line would not parse
    assert messages == sorted(f"thread {n} line {i} {'长' * (n * 40)}" for n in range(8) for i in range(300))
