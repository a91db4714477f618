"""Who and what may reach the warehouse through the dashboard: token auth, read-only
connections, the DuckDB writer's lock, the custody hash check, and the command line."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from dashboard_fixtures import KnownFleet, known_fleet, write_records

from sinks.audit import verify_chain
from sinks.engine import make_engine
from streams.dashboard.app import create_app
from streams.dashboard.reader import WarehouseReader
from streams.dashboard.server import serving_in_thread

pytestmark = pytest.mark.integration


@pytest.fixture
def duck_url(tmp_path: Path) -> str:
    """A DuckDB file holding the known fleet."""
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    write_records(url, known_fleet().records)
    return url


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def guarded(duck_url: str, token: str) -> Iterator[str]:
    """The dashboard over the known fleet, requiring ``token``."""
    with serving_in_thread(create_app(WarehouseReader(duck_url), token=token)) as base:
        yield base


@pytest.mark.parametrize("path", ["/api/shipments", "/", "/kpis", "/static/dashboard.js"])
def test_without_the_token_every_path_is_401(guarded: str, path: str) -> None:
    response = httpx.get(guarded + path)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer" if path.startswith("/api/") else "Basic")


def test_a_wrong_token_is_401_and_the_right_one_200(guarded: str, token: str) -> None:
    wrong = httpx.get(guarded + "/api/shipments", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert token not in wrong.text
    bearer = httpx.get(guarded + "/api/shipments", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    assert bearer.json()["count"] == len(known_fleet().shipments)
    basic = httpx.get(guarded + "/", auth=("anyone", token))
    assert basic.status_code == 200
    assert 'id="fleet-table"' in basic.text


def test_health_needs_no_token(guarded: str) -> None:
    assert httpx.get(guarded + "/healthz").json() == {"status": "ok"}


def test_the_dashboard_connection_cannot_write(warehouse_url: str, known: KnownFleet) -> None:
    reader = WarehouseReader(warehouse_url)
    try:
        with reader.engine.connect() as connection, pytest.raises(sa.exc.DBAPIError):
            connection.execute(sa.text("DELETE FROM shipments"))
            connection.commit()
    finally:
        reader.close()


def test_a_tampered_custody_row_shows_as_a_broken_chain(
    warehouse_url: str, known: KnownFleet
) -> None:
    victim = known.shipments["SHP-A"]["custody"][1].event_id
    writer = make_engine(warehouse_url)
    with writer.begin() as connection:
        connection.execute(
            sa.text("UPDATE custody_events SET seal_id = :seal WHERE event_id = :event"),
            {"seal": "SEAL-FORGED", "event": victim},
        )
    audit = [link for link in verify_chain(writer) if link.shipment_id == "SHP-A"]
    writer.dispose()

    with serving_in_thread(create_app(WarehouseReader(warehouse_url))) as base:
        chain = httpx.get(base + "/api/shipments/SHP-A").json()["chain"]
        page = httpx.get(base + "/shipments/SHP-A").text
        other = httpx.get(base + "/api/shipments/SHP-B").json()["chain"]
    assert chain["ok"] is False
    assert [(b["event_id"], b["problem"]) for b in chain["broken"]] == [
        (link.event_id, link.problem) for link in audit
    ]
    assert (victim, "row_hash") in {(b["event_id"], b["problem"]) for b in chain["broken"]}
    assert 'data-ok="false"' in page
    assert other["ok"] is True


def test_a_warehouse_without_views_answers_503_with_the_reason(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    with serving_in_thread(create_app(WarehouseReader(url))) as base:
        api = httpx.get(base + "/api/shipments")
        page = httpx.get(base + "/kpis")
        health = httpx.get(base + "/healthz")
    assert api.status_code == 503
    assert api.json()["error"] == "warehouse unavailable"
    assert "v_shipment_status" in api.json()["message"]
    assert "warehouse sink" in api.json()["message"]
    assert page.status_code == 503
    assert health.status_code == 200


_HOLD_LOCK = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
connection.close()
"""


def test_a_duckdb_file_locked_by_its_writer_answers_503_then_recovers(duck_url: str) -> None:
    path = sa.engine.make_url(duck_url).database
    assert path is not None
    reader = WarehouseReader(duck_url, busy_budget_s=0.3)
    with serving_in_thread(create_app(reader)) as base:
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            busy = httpx.get(base + "/api/shipments", timeout=30)
            page = httpx.get(base + "/", timeout=30)
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=30)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        assert busy.json()["error"] == "warehouse busy"
        assert "locked by its writing process" in busy.json()["message"]
        assert page.status_code == 503
        assert 'id="problem"' in page.text
        recovered = httpx.get(base + "/api/shipments", timeout=30)
        assert recovered.status_code == 200


@pytest.mark.timeout(60)
def test_the_command_serves_with_a_token_from_the_environment(duck_url: str, token: str) -> None:
    env = {**os.environ, "DASHBOARD_TEST_TOKEN": token}
    command = [sys.executable, "-m", "streams.cli", "dashboard", "--warehouse", duck_url]
    command += ["--port", "0", "--token-env", "DASHBOARD_TEST_TOKEN"]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("dashboard on http://127.0.0.1:"), line
        base = line.split()[2].rstrip("/")
        assert httpx.get(base + "/api/kpis").status_code == 401
        ok = httpx.get(base + "/api/kpis", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert token not in line + out + err


def test_the_command_refuses_an_unset_token_variable(duck_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_UNSET_TOKEN"}
    command = [sys.executable, "-m", "streams.cli", "dashboard", "--warehouse", duck_url]
    done = subprocess.run(
        [*command, "--token-env", "DASHBOARD_UNSET_TOKEN"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "DASHBOARD_UNSET_TOKEN" in done.stderr
