"""A shipment's effective temperature limits, rebuilt from its warehouse row."""

from __future__ import annotations

import json
from typing import Any

from schemas.profiles import BUILTIN_PROFILES, ProductProfile

__all__ = ["effective_profile"]

_DEFAULTS = ProductProfile()


def effective_profile(product_profile: str, profile_json: str | None) -> ProductProfile | None:
    """The named built-in profile with the stored inline profile laid over it.

    ``shipments.profile_json`` holds the whole inline profile, defaults included, so only
    the fields that differ from ``ProductProfile``'s defaults count as overrides (a field
    set explicitly to its default value is indistinguishable and keeps the built-in's).
    ``None`` when the name is unknown and there is no inline profile or it is unreadable.
    """
    base = BUILTIN_PROFILES.get(product_profile)
    if not profile_json:
        return base
    try:
        inline: dict[str, Any] = json.loads(profile_json)
    except ValueError:
        return base
    overrides = {
        name: value
        for name, value in inline.items()
        if name in ProductProfile.model_fields
        and name != "name"
        and value != getattr(_DEFAULTS, name)
    }
    merged = {**(base.model_dump() if base else {"name": product_profile}), **overrides}
    try:
        return ProductProfile.model_validate(merged)
    except ValueError:
        return base
