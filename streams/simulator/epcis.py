"""Custody handoffs written as GS1 EPCIS 2.0 documents, as partners that speak EPCIS send them."""

from __future__ import annotations

import random
from typing import Any

from streams.simulator.clock import rfc3339

EPCIS_RATE = 0.15
"""Share of shipments whose handoffs arrive as EPCIS documents instead of custody events."""
COMPANY_PREFIX = "0614141"
_FORMS = (
    ("https://ref.gs1.org/cbv/BizStep-{}", "https://ref.gs1.org/cbv/Disp-{}"),
    ("urn:epcglobal:cbv:bizstep:{}", "urn:epcglobal:cbv:disp:{}"),
    ("{}", "{}"),
)


def is_handoff(custody: dict[str, Any]) -> bool:
    """Only events naming both parties carry over to EPCIS (as possessing-party lists)."""
    return "from_party" in custody and "to_party" in custody


def epcis_document(custody: dict[str, Any], created_at: int, rng: random.Random) -> dict[str, Any]:
    """One custody handoff as an EPCISDocument with a single ObjectEvent."""
    step_form, disp_form = rng.choice(_FORMS)
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:cryotrace-{custody['event_id'].lower()}",
        "eventTime": custody["occurred_at"],
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"https://id.gs1.org/01/{COMPANY_PREFIX}000019/21/{custody['shipment_id']}"],
        "action": "OBSERVE",
        "bizStep": step_form.format(custody["step"]),
        "readPoint": {"id": custody["site_id"]},
        "bizLocation": {"id": custody["site_id"]},
        "sourceList": [
            {
                "type": "https://ref.gs1.org/cbv/SDT-possessing_party",
                "source": custody["from_party"]["party_id"],
            }
        ],
        "destinationList": [
            {
                "type": "https://ref.gs1.org/cbv/SDT-possessing_party",
                "destination": custody["to_party"]["party_id"],
            }
        ],
        "cryotrace:shipment_id": custody["shipment_id"],
        "cryotrace:coi_id": custody["coi_id"],
        "cryotrace:from_role": custody["from_party"]["role"],
        "cryotrace:to_role": custody["to_party"]["role"],
        "cryotrace:seal_id": custody["seal_id"],
        "cryotrace:logger_id": custody["logger_id"],
    }
    if "condition" in custody:
        event["disposition"] = disp_form.format(custody["condition"])
    return {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"cryotrace": "https://cryotrace.example/epcis/"},
        ],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": rfc3339(created_at),
        "epcisBody": {"eventList": [event]},
    }
