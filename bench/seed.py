"""Fill PostgreSQL with many fictional cases, fast: ``python -m bench.seed --count N``.

Each new case copies a template case already in the database (the newest one, made through the
API) but gets its own id, reference and fictional deceased: a valid GB 11643 number (division
430111, born 1930–1959, sequence 000–999), its blind index (``app.privacy.id_number_index``) and
the form sealed for that row (``app.privacy.crypto.seal_json``, AAD ``cases.form.<id>``), so every
row opens like one the API wrote. Rows go in with ``COPY`` into a staging table, then one
``INSERT … SELECT`` per batch copies the template's other columns, its matters (new ids, no
sealed outcome) and one ``case_submitted`` event. ``--count`` is the total number of cases
wanted; ``--max-seconds`` stops early and says how many it reached (printed as JSON).
Needs the app's environment (``DATABASE_URL`` on PostgreSQL, ``DATA_KEYS``, ``BLIND_INDEX_KEY``).
"""
from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import time
import uuid
from datetime import date, timedelta

from app import create_app
from app.config import load_config
from app.extensions import db
from app.privacy.crypto import id_number_index, seal_json
from app.standards.gb11643 import make_id_number

DIVISION = "430111"
FIRST_BIRTH = date(1930, 1, 1)


def fictional_id(n: int) -> str:
    """The ``n``-th fictional ID number: 1000 sequences per birth day from 1930-01-01."""
    birth = FIRST_BIRTH + timedelta(days=n // 1000)
    return make_id_number(DIVISION, birth, f"{n % 1000:03d}")


def _columns(cur, table: str) -> list[str]:
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema() ORDER BY ordinal_position", (table,))
    return [r[0] for r in cur.fetchall()]


def seed(*, count: int, batch: int, max_seconds: float, part: int = 0, parts: int = 1,
         plan: dict | None = None) -> dict:
    """Add cases until the table holds ``count`` (this process's ``part`` of ``parts`` equal
    shares of what :func:`plan_seed` found missing) or ``max_seconds`` pass. Out: the JSON
    summary :func:`main` prints."""
    started = time.monotonic()
    raw = db.engine.raw_connection()
    conn = raw.driver_connection  # psycopg 3
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases")
        existing = cur.fetchone()[0]
        cur.execute("SELECT id, form_sealed FROM cases WHERE form_sealed IS NOT NULL ORDER BY created_at DESC LIMIT 1")
        template_id, template_sealed = cur.fetchone()
        cur.execute("SELECT max(reference) FROM cases WHERE reference LIKE 'BN%%'")
        last = cur.fetchone()[0]
        already_seeded = int(last[2:]) + 1 if last else 0  # the next free person number
        case_cols = [c for c in _columns(cur, "cases") if c not in {"id", "reference", "deceased_id_index", "form_sealed"}]
        matter_cols = [c for c in _columns(cur, "matters") if c not in {"id", "case_id", "outcome_sealed"}]
        event_cols = [c for c in _columns(cur, "events") if c not in {"id", "case_id"}]
    from app.privacy.crypto import open_json

    template_form = open_json(template_sealed, aad=f"cases.form.{template_id}")
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS bench_stage (id varchar(32), reference varchar(32), "
                "deceased_id_index varchar(64), form_sealed text)")
    c_sel = ", ".join(f"t.{c}" for c in case_cols)
    m_sel = ", ".join(f"m.{c}" for c in matter_cols)
    e_sel = ", ".join(f"e.{c}" for c in event_cols)
    insert_cases = (f"INSERT INTO cases (id, reference, deceased_id_index, form_sealed, {', '.join(case_cols)}) "
                    f"SELECT s.id, s.reference, s.deceased_id_index, s.form_sealed, {c_sel} "
                    f"FROM bench_stage s CROSS JOIN cases t WHERE t.id = %(t)s")
    insert_matters = (f"INSERT INTO matters (id, case_id, outcome_sealed, {', '.join(matter_cols)}) "
                      f"SELECT md5(s.id || m.id), s.id, NULL, {m_sel} FROM bench_stage s CROSS JOIN matters m "
                      f"WHERE m.case_id = %(t)s")
    insert_events = (f"INSERT INTO events (case_id, {', '.join(event_cols)}) SELECT s.id, {e_sel} "
                     f"FROM bench_stage s CROSS JOIN (SELECT * FROM events WHERE case_id = %(t)s "
                     f"ORDER BY id LIMIT 1) e")
    if plan:  # counted once before the parts started, so all parts share the same figures
        existing, already_seeded = plan["existing"], plan["next_person"]
    wanted_all = max(0, count - existing)
    wanted = wanted_all // parts + (1 if part < wanted_all % parts else 0)
    # Each part numbers its people from its own block: no two parts make the same ID number.
    made, n = 0, already_seeded + part * (wanted_all // parts + 1)
    stopped_early = False
    while made < wanted:
        if time.monotonic() - started > max_seconds:
            stopped_early = True
            break
        size = min(batch, wanted - made)
        cur.execute("TRUNCATE bench_stage")
        with cur.copy("COPY bench_stage (id, reference, deceased_id_index, form_sealed) FROM STDIN") as cp:
            for _ in range(size):
                case_id = uuid.uuid4().hex
                id_number = fictional_id(n)
                form = copy.deepcopy(template_form)
                form["deceased"]["id_number"] = id_number
                form["deceased"]["name"] = "测试" + "甲乙丙丁戊己庚辛壬癸"[n % 10]
                cp.write_row((case_id, f"BN{n:012d}", id_number_index(id_number),
                              seal_json(form, aad=f"cases.form.{case_id}")))
                n += 1
        cur.execute(insert_cases, {"t": template_id})
        cur.execute(insert_matters, {"t": template_id})
        cur.execute(insert_events, {"t": template_id})
        conn.commit()
        made += size
    cur.execute("ANALYZE cases")
    cur.execute("ANALYZE matters")
    cur.execute("ANALYZE events")
    conn.commit()
    cur.execute("SELECT count(*) FROM cases")
    total = cur.fetchone()[0]
    raw.close()
    elapsed = time.monotonic() - started
    return {"asked": count, "cases_before": existing, "cases_added": made, "cases_total": total,
            "seconds": round(elapsed, 1), "cases_per_second": round(made / elapsed, 1) if elapsed else None,
            "stopped_early": stopped_early}


def plan_seed() -> dict:
    """``{"existing": cases in the table, "next_person": first unused person number}``."""
    with db.engine.connect() as conn:
        existing = conn.exec_driver_sql("SELECT count(*) FROM cases").scalar()
        last = conn.exec_driver_sql("SELECT max(reference) FROM cases WHERE reference LIKE 'BN%%'").scalar()
    return {"existing": existing, "next_person": int(last[2:]) + 1 if last else 0}


def _part(args: tuple) -> dict:
    count, batch, max_seconds, part, parts, plan = args
    app = create_app(load_config())
    with app.app_context():
        return seed(count=count, batch=batch, max_seconds=max_seconds, part=part, parts=parts, plan=plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True, help="total cases wanted in the table")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--processes", type=int, default=2,
                        help="seeding processes in parallel (sealing in Python overlaps PostgreSQL's inserts)")
    args = parser.parse_args()
    parts = max(1, args.processes)
    started = time.monotonic()
    with create_app(load_config()).app_context():
        plan = plan_seed()
    with multiprocessing.get_context("spawn").Pool(parts) as pool:
        results = pool.map(_part, [(args.count, args.batch, args.max_seconds, k, parts, plan) for k in range(parts)])
    elapsed = time.monotonic() - started
    made = sum(r["cases_added"] for r in results)
    print(json.dumps({"asked": args.count, "cases_before": plan["existing"],
                      "cases_added": made, "cases_total": max(r["cases_total"] for r in results),
                      "seconds": round(elapsed, 1), "cases_per_second": round(made / elapsed, 1) if elapsed else None,
                      "stopped_early": any(r["stopped_early"] for r in results), "processes": parts}))


if __name__ == "__main__":
    main()
