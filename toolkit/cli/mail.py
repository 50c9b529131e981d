"""`plankit mail`."""
