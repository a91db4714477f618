"""GS1 Core Business Vocabulary names: business steps and dispositions in any of their spellings."""

from __future__ import annotations

__all__ = ["CUSTODY_STEPS", "DISPOSITIONS", "cbv_name"]

CUSTODY_STEPS: frozenset[str] = frozenset(
    {
        "packing",
        "departing",
        "arriving",
        "accepting",
        "receiving",
        "inspecting",
        "holding",
        "storing",
    }
)
"""CBV business steps that mark a step in the chain of custody."""

DISPOSITIONS: frozenset[str] = frozenset(
    {"in_transit", "container_open", "container_closed", "conformant", "non_conformant"}
)
"""CBV dispositions cryotrace interprets."""

_PREFIXES = (
    "https://ref.gs1.org/cbv/BizStep-",
    "https://ref.gs1.org/cbv/Disp-",
    "http://ref.gs1.org/cbv/BizStep-",
    "http://ref.gs1.org/cbv/Disp-",
    "urn:epcglobal:cbv:bizstep:",
    "urn:epcglobal:cbv:disp:",
    "cbv:BizStep-",
    "cbv:Disp-",
    "gs1:BizStep-",
    "gs1:Disp-",
)


def cbv_name(value: str) -> str:
    """The bare CBV name of a business step or disposition.

    Accepts bare names (``departing``), CBV 2.0 URIs
    (``https://ref.gs1.org/cbv/BizStep-departing``), legacy URNs
    (``urn:epcglobal:cbv:bizstep:departing``) and compact ``cbv:`` forms. Any other
    value is returned unchanged (it is a user vocabulary, not CBV).
    """
    for prefix in _PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value
