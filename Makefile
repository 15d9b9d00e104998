# 身后一件事一次办 — every set-up step lives here, so a fresh machine needs only `make run` / `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: run test test-embedded worker cron demo migrate seed clean chaos fuzz serve-prod bench

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@# The API runs with PYTHONOPTIMIZE=2 (serve-prod): its bytecode, compiled once here.
	$(BIN)/python -OO -m compileall -q -j 0 $(VENV)/lib >/dev/null
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/flask db upgrade heads

seed: migrate
	$(BIN)/flask seed-sandbox

## Serve on http://127.0.0.1:$(PORT) with the sandbox on (SQLite + in-process jobs by default).
run: seed
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT) --no-reload --with-threads

## The API as in production: gunicorn, gthread workers (gunicorn.conf.py; README "Operations"),
## without the libraries' docstrings (PYTHONOPTIMIZE=2: wsgi.py).
serve-prod: migrate
	BIND=$${BIND:-127.0.0.1:$(PORT)} PYTHONOPTIMIZE=2 $(BIN)/gunicorn -c gunicorn.conf.py

## An RQ worker for production-shaped runs (needs REDIS_URL and DATABASE_URL): on the queues
## dispatch, notifications and maintenance (in that order), or only those in RQ_QUEUES
## (e.g. `RQ_QUEUES=dispatch make worker`); queue names are $RQ_QUEUE-<queue> (jobs/worker.py).
worker: $(STAMP)
	$(BIN)/python -m jobs.worker

## The scripted journey against a running server (start `make run` first).
demo: $(STAMP)
	$(BIN)/python -m mp_client_stub demo --base-url http://127.0.0.1:$(PORT)

## Every test, on the embedded default and on PostgreSQL + Redis + rq workers
## (.ci/setup starts the services and installs the font, Chromium and node modules if missing).
test: $(STAMP)
	bash .ci/setup
	$(BIN)/python -m pytest -q

## Only what needs no services (a quick check on a laptop).
test-embedded: $(STAMP)
	HSYJS_SKIP_SERVICES=1 $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) instance .pytest_cache

## The periodic jobs (the reconciler) for production-shaped runs: rq cron.
cron: $(STAMP)
	$(BIN)/rq cron --url "$${REDIS_URL:?set REDIS_URL}" jobs/cron.py

## Long chaos runs (issue sizes: 1,000 matters under SIGKILL, Redis restart, 3-minute outage);
## results in docs/reliability-results.json. A fast slice of the same tests runs in `make test`.
chaos: $(STAMP)
	CHAOS_SCALE=full $(BIN)/python -m pytest -q tests/chaos

## Fuzzing (issue 10): schemathesis sends generated requests to every operation of the app's own
## OpenAPI document, in-process, as a family, a clerk and nobody; results in docs/fuzz-results.json.
## A fast slice of the same test runs in `make test`.
fuzz: $(STAMP)
	FUZZ_SCALE=full $(BIN)/python -m pytest -q tests/fuzz

## Benchmarks (issue 9): API + bare Flask under wrk on PostgreSQL + Redis + 2 rq workers, seeds a
## large table; results in docs/bench-results/<stamp>/ (see docs/BENCHMARKS.md). Takes ~40 minutes
## (BENCH_ONLY=requests for a quick look at the request scenarios).
bench: $(STAMP)
	$(BIN)/python -m bench.run
