"""A simulated regional cell-therapy network: a recording with faults and its ground truth.

`simulate(SimulationConfig(shipments, seed, start, days))` returns the recording's lines in
arrival order (each with `received_at`, the receiving clock) and the truth document:

- `faults`: `{shipment_id, type, start, end}` per alert a correct engine must raise, `type`
  being the alert type of design.md. Reading-driven windows are recomputed from the
  delivered readings (see `truth`), custody ones sit on the faulty event, `late_delivery_risk`
  runs from the delay's start to arrival, `dwell_exceeded` over the stationary spell,
  `hold_time_risk` from the manifest to arrival.
- `tolerated`: windows where an alert may or may not fire (e.g. transient sequence gaps
  while a post-flight burst arrives shuffled, silence after the logger is switched off).
- `arrivals`, `trips` (departure, arrival, promised end, per-checkpoint `remaining_km` and
  `observed_speed_kmh` for the naive ETA baseline), `shipments` (lane, profile, fault kind),
  `injections` (what was done, including non-alerting `upload_outage` and `flight_burst`).
- `malformed` (bad messages), `deadletters` (expected count per dead-letter reason),
  `future_event_ids` (clock-skewed readings), `duplicates`, `out_of_order`,
  `late_manifests`, `lines` (count per topic).
"""

from streams.simulator.run import Simulation, SimulationConfig, simulate

__all__ = ["Simulation", "SimulationConfig", "simulate"]
