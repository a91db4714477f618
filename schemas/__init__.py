"""cryotrace schemas."""
