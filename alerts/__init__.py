"""cryotrace alerts."""
