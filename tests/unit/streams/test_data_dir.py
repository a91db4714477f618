"""Faust's data directory: never the working directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from streams.app import create_app
from streams.bench import naive
from streams.settings import Settings, StreamSettings


def test_by_default_each_app_gets_one_under_the_temporary_directory() -> None:
    settings = Settings(app_id="datadir", topic_prefix="datadir")
    dirs = {role: create_app(settings, role).conf.datadir for role in ("process", "sink")}
    assert dirs == {
        "process": Path(tempfile.gettempdir()) / "cryotrace-datadir",
        "sink": Path(tempfile.gettempdir()) / "cryotrace-datadir-sink",
    }


def test_the_setting_names_the_parent(tmp_path: Path) -> None:
    settings = Settings(app_id="datadir", stream=StreamSettings(data_dir=tmp_path))
    assert create_app(settings, "process").conf.datadir == tmp_path / "cryotrace-datadir"


def test_an_empty_environment_value_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYOTRACE_STREAM__DATA_DIR", "")
    assert Settings().stream.data_dir is None


def test_the_benchs_textbook_agent_gets_one_too() -> None:
    settings = Settings(app_id="datadir", topic_prefix="datadir")
    app = naive.build_app(settings)
    assert app.conf.datadir == Path(tempfile.gettempdir()) / "cryotrace-datadir-naive"
