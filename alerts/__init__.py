"""cryotrace alerts: pure rules over per-shipment state (``alerts.engine.apply``/``tick``/``settle``)."""
