"""`plankit brief`."""
