"""`plankit demo`."""
