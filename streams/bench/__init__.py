"""The benchmark: raw Kafka ceiling, a textbook Faust agent and the cryotrace pipeline, one run."""
