"""cryotrace alerts: pure rules over per-shipment state (``alerts.engine.apply``/``tick``/``settle``)."""

from alerts.compiled import guard as _guard

_guard()  # before any rule module is imported: stale compiled ones are not used
