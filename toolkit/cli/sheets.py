"""`plankit sheets`."""
