"""cryotrace sinks."""
