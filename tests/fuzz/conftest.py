"""Settings and fixtures of the fuzz run: one fresh sandbox app for the whole run, and the
figures (``docs/fuzz-results.json`` from ``make fuzz``; pytest's temporary folder otherwise)."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fuzz.world import ROLES, TARGET, World

FULL = os.environ.get("FUZZ_SCALE") == "full"
#: schemathesis phases. ``coverage`` derives its cases from the document itself (every enum value
#: and boundary, each required field missing, each field of a wrong type, methods a path does
#: not allow: about 50 per operation and identity); ``fuzzing`` draws random valid and invalid
#: requests, ``EXAMPLES`` per operation and identity. The fast slice of ``make test`` leaves the
#: coverage phase to ``make fuzz`` (it would take minutes) and draws fewer examples.
PHASES = ["examples", "coverage", "fuzzing"] if FULL else ["examples", "fuzzing"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or (30 if FULL else 5))
#: A fixed seed by default, so a CI failure replays; ``FUZZ_SEED=… make fuzz`` explores elsewhere.
SEED = int(os.environ.get("FUZZ_SEED") or 20261129)
RESULTS = ROOT / "docs" / "fuzz-results.json"
_WORLD = pytest.StashKey[World]()
_RESULTS = pytest.StashKey[Path]()


@pytest.fixture(scope="package")  # ends with tests/fuzz: the long-poll cap below must not outlive it
def fuzz_world(tmp_path_factory, pytestconfig):
    from app.cases import live

    # The events long-poll may wait 30 s for an event that never comes; the fuzzer asks it with
    # every `wait` up to 30 thousands of times. Cap the wait (not what is checked) for this run.
    max_wait, live.MAX_WAIT_SECONDS = live.MAX_WAIT_SECONDS, 0.05
    started = time.monotonic()
    world = World(tmp_path_factory.mktemp("fuzz"))
    TARGET.app = world.app
    pytestconfig.stash[_WORLD] = world
    yield world
    TARGET.app = None
    world.close()
    live.MAX_WAIT_SECONDS = max_wait
    # The fast slice leaves its figures with pytest's temporary files, not in docs/.
    results = RESULTS if FULL else tmp_path_factory.getbasetemp() / "fuzz-results.json"
    _write_results(world, time.monotonic() - started, results)
    pytestconfig.stash[_RESULTS] = results


def _write_results(world: World, seconds: float, path: Path) -> None:
    import schemathesis

    tally = world.tally.as_dict()
    results = {
        "command": "make fuzz" if FULL else "make test (fast slice)",
        "date": datetime.now(timezone.utc).date().isoformat(),
        "schemathesis": schemathesis.__version__,
        "seed": SEED,
        "phases": PHASES,
        "fuzzing_examples_per_operation_and_identity": EXAMPLES,
        "identities": list(ROLES),
        "seconds": round(seconds),
        **tally,
    }
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter, config):
    """One line with what the run sent; the figures per operation and identity are in the file."""
    world = config.stash.get(_WORLD, None)
    if world is not None:
        tally = world.tally.as_dict()
        terminalreporter.write_line(
            f"fuzz: {tally['requests']} generated requests to {tally['operations']} operations; "
            f"by phase {tally['by_phase']}; by status {tally['by_status']}; 5xx {tally['responses_5xx']}; "
            f"figures in {config.stash.get(_RESULTS, '?')}")
