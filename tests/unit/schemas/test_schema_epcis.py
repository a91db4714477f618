"""EPCIS 2.0 adapter: the test documents in tests/data/epcis give the right events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from schema_samples import RECEIVED_AT, epcis_sensor_event

from schemas import CustodyEvent, DeadLetter, Decoded, TelemetryReading, decode
from schemas.epcis import epc_serial

DATA = Path(__file__).parents[2] / "data" / "epcis"
LATER = datetime(2026, 12, 1, tzinfo=UTC)


def _events(name: str) -> list[TelemetryReading | CustodyEvent]:
    result = decode("epcis", (DATA / name).read_bytes(), received_at=LATER)
    assert isinstance(result, Decoded), result
    return result.events  # type: ignore[return-value]


def _dead(payload: dict[str, Any]) -> DeadLetter:
    result = decode("epcis", orjson.dumps(payload), received_at=RECEIVED_AT)
    assert isinstance(result, DeadLetter), result
    return result


def test_document_with_two_sensor_elements_gives_two_readings() -> None:
    first, second = _events("sensor_temperature_gps.jsonld")
    assert isinstance(first, TelemetryReading) and isinstance(second, TelemetryReading)
    assert first.shipment_id == second.shipment_id == "SHP-0001"  # serial after /21/
    assert first.recorded_at == datetime(2026, 11, 29, 21, 10, tzinfo=UTC)  # +01:00 sensor time
    assert (first.temperature_c, second.temperature_c) == (-182.5, -181.0)
    assert first.location is not None and (first.location.lat, first.location.lon) == (
        41.2,
        -75.9,
    )
    assert second.location is not None and second.location.lon == -75.7  # cbv:Comp- form
    assert first.logger_id == "urn:epc:id:giai:4000001.LOG42"
    assert first.lid_open is None


def test_readings_of_one_event_get_distinct_ids_from_its_event_id() -> None:
    first, second = _events("sensor_temperature_gps.jsonld")
    assert first.event_id != second.event_id
    assert first.event_id.startswith("ni:///sha-256;5f1a0c3e")
    assert second.event_id.startswith("ni:///sha-256;5f1a0c3e")


def test_fahrenheit_min_max_summary_becomes_celsius_interval() -> None:
    [reading] = _events("sensor_min_max_fahrenheit_event.json")
    assert isinstance(reading, TelemetryReading)
    assert reading.shipment_id == "SHP-0002"  # last field of the sgtin URN
    assert reading.temperature_min_c == pytest.approx((-310 - 32) * 5 / 9)
    assert reading.temperature_max_c == pytest.approx((-292 - 32) * 5 / 9)
    assert reading.temperature_c == pytest.approx((-301 - 32) * 5 / 9)  # meanValue
    assert reading.recorded_at == datetime(2026, 11, 30, 1, 55, tzinfo=UTC)  # endTime


def test_event_without_event_id_gets_a_deterministic_hash_id() -> None:
    [first] = _events("sensor_min_max_fahrenheit_event.json")
    [again] = _events("sensor_min_max_fahrenheit_event.json")
    assert first.event_id == again.event_id
    assert first.event_id.startswith("epcis:sha256:")
    changed = orjson.loads((DATA / "sensor_min_max_fahrenheit_event.json").read_bytes())
    changed["readPoint"] = {"id": "elsewhere"}
    result = decode("epcis", orjson.dumps(changed), received_at=LATER)
    assert isinstance(result, Decoded)
    assert result.events[0].event_id != first.event_id


def test_departing_with_possessing_parties_is_a_custody_handoff() -> None:
    [handoff] = _events("custody_departing.jsonld")  # the TransactionEvent is skipped
    assert isinstance(handoff, CustodyEvent)
    assert handoff.step == "departing"  # legacy URN
    assert (handoff.shipment_id, handoff.coi_id) == ("SHP-0001", "COI-7A3F-0001")
    assert handoff.from_party is not None and handoff.to_party is not None
    assert (handoff.from_party.party_id, handoff.from_party.role) == ("HUB-NE", "hub")
    assert (handoff.to_party.party_id, handoff.to_party.role) == ("CUR-77", "courier")
    assert handoff.occurred_at == datetime(2026, 11, 29, 20, 5, tzinfo=UTC)
    assert (handoff.site_id, handoff.seal_id, handoff.logger_id) == ("HUB-NE", "SEAL-88", "LOG-42")
    assert handoff.event_id == "urn:uuid:6d1f3b2a-0c47-4e51-9a0e-2f7d4c8b1a01"


def test_non_conformant_receipt_gives_reading_and_custody_condition() -> None:
    reading, receipt = _events("receiving_non_conformant.jsonld")
    assert isinstance(reading, TelemetryReading) and isinstance(receipt, CustodyEvent)
    assert receipt.condition == "non_conformant"
    assert receipt.step == "receiving"
    assert receipt.shipment_id == "SHP-0003"  # /21/ serial before the query string
    assert reading.temperature_c == pytest.approx(130.0 - 273.15)  # KEL
    assert reading.ambient_c == pytest.approx(20.0)  # the report whose feature is ambiance
    assert reading.logger_id == receipt.logger_id == "LOG-99"


def test_container_open_disposition_is_a_lid_open_reading() -> None:
    [reading] = _events("container_open_event.json")
    assert isinstance(reading, TelemetryReading)
    assert reading.lid_open is True
    assert reading.temperature_c is None
    assert reading.recorded_at == datetime(2026, 11, 29, 23, 40, tzinfo=UTC)


def test_container_open_marks_sensor_readings_lid_open() -> None:
    event = epcis_sensor_event(disposition="urn:epcglobal:cbv:disp:container_open")
    result = decode("epcis", orjson.dumps(event), received_at=RECEIVED_AT)
    assert isinstance(result, Decoded)
    [reading] = result.events
    assert isinstance(reading, TelemetryReading) and reading.lid_open is True


def test_document_without_usable_events_is_epcis_unsupported() -> None:
    result = decode("epcis", (DATA / "transaction_only.jsonld").read_bytes(), received_at=LATER)
    assert isinstance(result, DeadLetter)
    assert result.reason == "epcis_unsupported"
    assert result.errors[0].loc == "epcisBody.eventList.0"


def test_event_time_without_offset_is_naive_timestamp() -> None:
    result = decode("epcis", (DATA / "naive_event_time.json").read_bytes(), received_at=LATER)
    assert isinstance(result, DeadLetter)
    assert result.reason == "naive_timestamp"


def test_extension_fields_override_the_epc_serial() -> None:
    event = epcis_sensor_event(**{"cryotrace:shipment_id": "SHP-9", "cryotrace:coi_id": "COI-9"})
    result = decode("epcis", orjson.dumps(event), received_at=RECEIVED_AT)
    assert isinstance(result, Decoded)
    assert result.events[0].shipment_id == "SHP-9"


@pytest.mark.parametrize(
    ("report", "loc"),
    [
        ({"type": "Temperature", "value": -180, "uom": "XYZ"}, "uom"),
        ({"type": "Temperature", "value": "cold", "uom": "CEL"}, "value"),
        ({"type": "Temperature", "value": -300, "uom": "CEL"}, "temperature_c"),
    ],
)
def test_bad_temperature_report_is_a_schema_error_located_in_the_document(
    report: dict[str, Any], loc: str
) -> None:
    event = epcis_sensor_event()
    event["sensorElementList"][0]["sensorReport"] = [report]
    letter = _dead(event)
    assert letter.reason == "schema"
    assert letter.errors[0].loc.startswith("event.sensorElementList.0")
    assert letter.errors[0].loc.endswith(loc)


def test_latitude_without_longitude_is_rejected() -> None:
    event = epcis_sensor_event()
    event["sensorElementList"][0]["sensorReport"].pop()
    assert _dead(event).reason == "schema"


def test_custody_step_without_parties_is_only_telemetry() -> None:
    result = decode(
        "epcis", orjson.dumps(epcis_sensor_event(bizStep="arriving")), received_at=RECEIVED_AT
    )
    assert isinstance(result, Decoded)
    assert [type(event) for event in result.events] == [TelemetryReading]


@pytest.mark.parametrize(
    ("epc", "serial"),
    [
        ("https://id.gs1.org/01/09506000134352/21/ABC-1", "ABC-1"),
        ("https://example.com/01/09506000134352/21/ABC-1/10/LOT?x=1", "ABC-1"),
        ("urn:epc:id:sgtin:0614141.107346.2017", "2017"),
        ("urn:epc:id:sscc:0614141.1234567890", "urn:epc:id:sscc:0614141.1234567890"),
    ],
)
def test_epc_serial_forms(epc: str, serial: str) -> None:
    assert epc_serial(epc) == serial
