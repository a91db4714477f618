"""Subscriptions file: YAML and JSON, and every malformed case failing at start-up with a ConfigError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.webhooks.signing import WebhookSecret
from alerts.webhooks.subscriptions import load_subscriptions, resolve_secrets
from schemas.errors import ConfigError

DESIGN_EXAMPLE = """
subscribers:
  - id: courier-77
    url: https://courier.example/hooks/cryotrace
    secret_env: COURIER_77_SECRET     # the secret itself stays in the environment
    party_id: CUR-77                  # a courier: alerts while it holds (or held) custody
    types: ["*"]
    min_severity: warning
  - id: hospital-bos
    url: https://hospital.example/cell-lab/alerts
    secret_env: HOSP_BOS_SECRET
    sites: [HOSP-BOS-01]              # a site: alerts for shipments from or to it
    types: [temperature_excursion, late_delivery_risk, hold_time_risk, coi_mismatch]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_design_example_loads(tmp_path: Path) -> None:
    subs = load_subscriptions(_write(tmp_path, "subs.yaml", DESIGN_EXAMPLE))
    courier, hospital = subs.subscribers
    assert courier.party_id == "CUR-77" and courier.min_severity == "warning"
    assert hospital.sites == {"HOSP-BOS-01"} and "coi_mismatch" in hospital.types
    assert hospital.min_severity == "info"


def test_json_loads_the_same(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(DESIGN_EXAMPLE)
    from_json = load_subscriptions(_write(tmp_path, "subs.json", json.dumps(data)))
    assert from_json == load_subscriptions(_write(tmp_path, "subs.yml", DESIGN_EXAMPLE))


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("subs.toml", "x = 1", "expected .yaml"),
        ("subs.yaml", "subscribers: [\n", "not valid yaml"),
        ("subs.json", "{", "not valid json"),
        ("subs.yaml", "- a\n- b\n", "'subscribers'"),
        (
            "subs.yaml",
            "subscribers:\n  - {id: a, url: 'http://x', secret_env: S, sites: [H], colour: red}\n",
            "colour",
        ),
        ("subs.yaml", "subscribers:\n  - {id: a, url: 'http://x', secret_env: S}\n", "scope"),
        (
            "subs.yaml",
            "subscribers:\n  - {id: a, url: 'ftp://x', secret_env: S, all_shipments: true}\n",
            "url",
        ),
        (
            "subs.yaml",
            "subscribers:\n  - {id: a, url: 'http://x', secret_env: S, sites: [H], types: [tempXX]}\n",
            "tempXX",
        ),
        (
            "subs.yaml",
            "subscribers:\n  - {id: a, url: 'http://x', secret_env: S, sites: [H]}\n"
            "  - {id: a, url: 'http://y', secret_env: S, sites: [H]}\n",
            "duplicate",
        ),
        (
            "subs.yaml",
            "subscribers:\n  - {id: a, url: 'http://x', secret_env: S, sites: [H], min_severity: high}\n",
            "min_severity",
        ),
    ],
)
def test_malformed_files_fail_with_a_clear_config_error(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        load_subscriptions(path)
    assert says in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_fails_with_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No such file"):
        load_subscriptions(tmp_path / "absent.yaml")


def test_secrets_come_from_the_named_variables_and_errors_never_show_them(
    tmp_path: Path,
) -> None:
    subs = load_subscriptions(_write(tmp_path, "subs.yaml", DESIGN_EXAMPLE))
    courier, hospital = WebhookSecret.generate(), WebhookSecret.generate()
    env = {"COURIER_77_SECRET": str(courier), "HOSP_BOS_SECRET": str(hospital)}
    assert resolve_secrets(subs, env) == {"courier-77": courier, "hospital-bos": hospital}

    with pytest.raises(ConfigError, match="HOSP_BOS_SECRET is not set"):
        resolve_secrets(subs, {"COURIER_77_SECRET": str(courier)})
    leaked = "whsec_this-is-not-base64-but-a-secret"
    with pytest.raises(ConfigError) as caught:
        resolve_secrets(subs, {**env, "HOSP_BOS_SECRET": leaked})
    assert "HOSP_BOS_SECRET" in str(caught.value)
    assert leaked not in str(caught.value)
