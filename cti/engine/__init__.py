"""The imperative shell around the core: one task owns live state."""
