"""Shipment manifest: route, promised window, shipper and product profile of one shipment."""

from __future__ import annotations

from typing import Annotated, Any, Self, TypeVar

from pydantic import Field, PrivateAttr, SerializationInfo, field_serializer, model_validator

from schemas.base import Identifier, Latitude, Longitude, WireModel
from schemas.fieldsets import shared_fields_set
from schemas.profiles import BUILTIN_PROFILES, ProductProfile
from schemas.timestamps import Timestamp

__all__ = ["Leg", "PromisedWindow", "ShipmentManifest", "Shipper", "Site"]


class Site(WireModel):
    """A place a shipment starts or ends at (hospital, hub ...)."""

    site_id: Identifier
    role: Identifier
    lat: Latitude
    lon: Longitude


class Leg(WireModel):
    """One scheduled leg of the route."""

    mode: Identifier
    from_site: Identifier
    to_site: Identifier
    scheduled_departure: Timestamp
    scheduled_arrival: Timestamp
    carrier: Identifier | None = None

    @model_validator(mode="after")
    def _arrival_after_departure(self) -> Self:
        if self.scheduled_arrival < self.scheduled_departure:
            raise ValueError("scheduled_arrival is before scheduled_departure")
        return self


class Shipper(WireModel):
    """The dry shipper (dewar) carrying the product."""

    shipper_id: Identifier
    rated_hold_h: Annotated[float, Field(gt=0.0)]
    charged_at: Timestamp


class PromisedWindow(WireModel):
    """Delivery window promised to the receiving site."""

    start: Timestamp
    end: Timestamp

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end < self.start:
            raise ValueError("promised_window end is before start")
        return self


_Part = TypeVar("_Part", bound=WireModel)
_PARTS: dict[tuple[type, bytes, frozenset[str]], WireModel] = {}
"""One kept instance per distinct site or window of the manifests seen lately (``_shared``)."""
_PARTS_MAX = 4096


def _shared(part: _Part) -> _Part:
    """The kept part equal to ``part``: same type, same JSON, same fields set (so every dump
    of it is the same). Manifests repeat a few hubs, hospitals and windows; each active
    shipment's state would hold its own copies (~0.8 KB per site) otherwise. The models are
    frozen, so sharing is safe; the table is cleared when full, so it stays bounded."""
    key = (type(part), part.__pydantic_serializer__.to_json(part), frozenset(part.model_fields_set))
    kept = _PARTS.get(key)
    if kept is None:
        if len(_PARTS) >= _PARTS_MAX:
            _PARTS.clear()
        _PARTS[key] = kept = part
    return kept  # type: ignore[return-value]  # stored under its own type in the key


class ShipmentManifest(WireModel):
    """Everything known in advance about one shipment."""

    shipment_id: Identifier
    coi_id: Identifier
    product_profile: Identifier
    profile: ProductProfile | None = None
    origin: Site
    destination: Site
    promised_window: PromisedWindow
    logger_id: Identifier | None = None
    reporting_interval_s: Annotated[float, Field(gt=0.0)] = 600.0
    shipper: Shipper | None = None
    legs: list[Leg] = Field(default_factory=list)
    created_at: Timestamp

    _effective: ProductProfile = PrivateAttr()

    @model_validator(mode="after")
    def _resolve_profile(self) -> Self:
        base = BUILTIN_PROFILES.get(self.product_profile)
        if base is None and self.profile is None:
            known = ", ".join(sorted(BUILTIN_PROFILES))
            raise ValueError(
                f"unknown product_profile {self.product_profile!r} and no inline profile "
                f"(built-in: {known})"
            )
        if self.profile is None:
            assert base is not None
            self._effective = base
            return self
        overrides = self.profile.model_dump(include=self.profile.model_fields_set)
        if base is None:
            merged = {"name": self.product_profile, **overrides}
        else:
            merged = {**base.model_dump(), **overrides}
        self._effective = ProductProfile.model_validate(merged)
        return self

    @model_validator(mode="after")
    def _share_parts(self) -> Self:
        """Hold shared instances of the origin, destination and window (``_shared``), and
        of the fields set (``shared_fields_set``): each manifest's own set of its given
        names took 728 bytes for 9."""
        fields = self.__dict__
        fields["origin"] = _shared(self.origin)
        fields["destination"] = _shared(self.destination)
        fields["promised_window"] = _shared(self.promised_window)
        shared = shared_fields_set(self.__pydantic_fields_set__)
        object.__setattr__(self, "__pydantic_fields_set__", shared)
        return self

    @field_serializer("profile")
    def _dump_overrides_only(
        self, profile: ProductProfile | None, info: SerializationInfo
    ) -> dict[str, Any] | None:
        """Dump only the inline fields actually given, so a round trip keeps the merge."""
        if profile is None:
            return None
        return profile.model_dump(mode=info.mode, include=profile.model_fields_set)

    @property
    def effective_profile(self) -> ProductProfile:
        """The named built-in profile with the inline ``profile`` fields laid over it."""
        return self._effective
