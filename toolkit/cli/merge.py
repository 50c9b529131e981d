"""`plankit merge`."""
