"""cryotrace streams."""
