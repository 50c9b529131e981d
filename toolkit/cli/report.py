"""`plankit report`."""
