"""Webhook subscribers: who receives which alerts, loaded from a YAML or JSON file."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerts.webhooks.signing import WebhookSecret
from schemas.alert import ALERT_SEVERITIES, ALERT_TYPES
from schemas.errors import ConfigError

__all__ = ["Subscriber", "Subscriptions", "load_subscriptions", "resolve_secrets"]

Severity = Literal["info", "warning", "critical"]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Subscriber(BaseModel):
    """One webhook endpoint and the alerts it wants.

    Scope: ``sites`` (alerts for shipments from or to one of these sites), ``party_id``
    (alerts raised while this party held custody) or ``all_shipments: true``; a subscriber
    with both ``sites`` and ``party_id`` receives the union. ``types`` (``"*"`` for all) and
    ``min_severity`` filter further.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
    url: Annotated[str, Field(pattern=r"^https?://[^\s]+$")]
    secret_env: str
    sites: frozenset[str] = frozenset()
    party_id: str | None = None
    all_shipments: bool = False
    types: frozenset[str] = frozenset({"*"})
    min_severity: Severity = "info"
    timeout_s: Annotated[float, Field(gt=0, le=120)] | None = None
    concurrency: Annotated[int, Field(ge=1, le=256)] | None = None

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("must be the name of an environment variable")
        return value

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - ALERT_TYPES - {"*"})
        if unknown:
            raise ValueError(f"unknown alert types: {', '.join(unknown)}")
        if not value:
            raise ValueError("at least one type (or '*')")
        return value

    @model_validator(mode="after")
    def _has_scope(self) -> Subscriber:
        if not (self.sites or self.party_id or self.all_shipments):
            raise ValueError("needs a scope: sites, party_id or all_shipments: true")
        return self

    @property
    def severity_rank(self) -> int:
        """Index of ``min_severity`` in ``ALERT_SEVERITIES`` (least to most severe)."""
        return ALERT_SEVERITIES.index(self.min_severity)


class Subscriptions(BaseModel):
    """Every subscriber of one deployment; ids are unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subscribers: tuple[Subscriber, ...] = ()

    @field_validator("subscribers")
    @classmethod
    def _unique_ids(cls, value: tuple[Subscriber, ...]) -> tuple[Subscriber, ...]:
        ids = [s.id for s in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate subscriber ids: {', '.join(duplicates)}")
        return value

    def by_id(self) -> dict[str, Subscriber]:
        """Subscribers keyed by id."""
        return {s.id: s for s in self.subscribers}


def load_subscriptions(path: Path) -> Subscriptions:
    """Read and validate a subscriptions file (``.yaml``/``.yml`` or ``.json``).

    Raises ``ConfigError`` naming the file and the problem; never echoes secrets (the file
    holds only the names of the variables that hold them)."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ConfigError(f"subscriptions file {path}: expected .yaml, .yml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"subscriptions file {path}: {exc.strerror or exc}") from None
    try:
        raw = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"subscriptions file {path}: not valid {suffix[1:]}: {exc}") from None
    if not isinstance(raw, dict) or "subscribers" not in raw:
        raise ConfigError(f"subscriptions file {path}: expected a mapping with 'subscribers'")
    try:
        return Subscriptions.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"subscriptions file {path}: {problems}") from None


def resolve_secrets(
    subscriptions: Subscriptions, environ: Mapping[str, str]
) -> dict[str, WebhookSecret]:
    """Each subscriber's signing secret from the environment; a missing or malformed one is a
    ``ConfigError`` naming the variable, never its value."""
    secrets: dict[str, WebhookSecret] = {}
    for subscriber in subscriptions.subscribers:
        value = environ.get(subscriber.secret_env)
        if not value:
            raise ConfigError(
                f"subscriber {subscriber.id}: environment variable {subscriber.secret_env} "
                "is not set"
            )
        try:
            secrets[subscriber.id] = WebhookSecret.parse(value)
        except ValueError as exc:
            raise ConfigError(
                f"subscriber {subscriber.id}: {subscriber.secret_env}: {exc}"
            ) from None
    return secrets
