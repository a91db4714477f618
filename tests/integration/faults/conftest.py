"""Fault-suite fixtures: every case adds its row; a full-length session rewrites docs/reliability.md."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultkit import FULL, Outcome

DOC = Path(
    os.environ.get(
        "CRYOTRACE_RELIABILITY_DOC", Path(__file__).resolve().parents[3] / "docs/reliability.md"
    )
)
HEADER = "| fault | load | outcome | figures |\n|---|---|---|---|\n"
BEGIN, END = "<!-- fault-table:begin -->", "<!-- fault-table:end -->"

INTRO = """# Reliability

The fault suite (`tests/integration/faults`) runs cryotrace on real processes (`cryotrace
worker` children), a real Kafka broker, a real PostgreSQL and real HTTP endpoints, injects
one fault per case, and checks each case against the offline replay of the same recording
(`cryotrace replay`) and the simulator's ground truth. Invariants checked in every case:
every valid reading in the warehouse exactly once; every alert in the warehouse exactly once
at its final version, equal to replay's; webhook alerts delivered at least once; every bad
message in the dead-letter topic and table with its reason; no worker exited or restarted;
consumer lag back to zero afterwards.

CI runs the cases compressed (short outages, a small fleet); `make faults` runs them at full
length (`CRYOTRACE_FAULTS_FULL=1`: a 60 s broker outage, 5 min webhook outage, a bigger
fleet). Each full-length run rewrites the rows of the cases it ran in the table below (other
rows stay, with the mode and date of their own run); a CI run writes no file.
"""


def _row(outcome: Outcome) -> str:
    figures = "; ".join(f"{k}: {v}" for k, v in outcome.figures.items())
    mode = "full" if FULL else "CI"
    cells = [outcome.fault, f"{outcome.load} ({mode}, {time.strftime('%Y-%m-%d')})"]
    cells += [outcome.outcome, figures]
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |\n"


def _existing_rows() -> dict[str, str]:
    if not DOC.exists():
        return {}
    text = DOC.read_text()
    match = re.search(re.escape(BEGIN) + r"(.*?)" + re.escape(END), text, re.S)
    rows = {}
    for line in (match.group(1) if match else "").splitlines():
        if line.startswith("| ") and not line.startswith("| fault |"):
            rows[line.split(" | ")[0].removeprefix("| ")] = line + "\n"
    return rows


def write_table(outcomes: list[Outcome]) -> None:
    """Merge this run's rows into the table of docs/reliability.md (by fault)."""
    rows = _existing_rows()
    for outcome in outcomes:
        rows[outcome.fault] = _row(outcome)
    table = BEGIN + "\n" + HEADER + "".join(rows[k] for k in sorted(rows)) + END
    if DOC.exists() and BEGIN in DOC.read_text():
        text = re.sub(
            re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: table, DOC.read_text(), flags=re.S
        )
    else:
        text = INTRO + "\n" + table + "\n"
    DOC.write_text(text)


@pytest.fixture(scope="session")
def reliability_rows() -> Iterator[list[Outcome]]:
    """Outcomes of this session's cases, written to docs/reliability.md at the end."""
    outcomes: list[Outcome] = []
    yield outcomes
    # Full-length runs (`make faults`) write the committed table; a CI run leaves the
    # checkout alone unless told where to write (CRYOTRACE_RELIABILITY_DOC).
    if outcomes and (FULL or "CRYOTRACE_RELIABILITY_DOC" in os.environ):
        write_table(outcomes)


@pytest.fixture
def fault_row(reliability_rows: list[Outcome]) -> Callable[[str, str], Outcome]:
    """Start this case's row: it reads FAILED unless the test calls ``passed`` at its end."""

    def start(fault: str, load: str) -> Outcome:
        row = Outcome(fault, load)
        reliability_rows.append(row)
        return row

    return start
