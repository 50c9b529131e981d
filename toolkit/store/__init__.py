"""The store of a plan under --out: every received file archived under its sha256 with append-only
logs (archive), the SQLite database of submissions and values with their provenance (db), and
the one-writer run lock (lock); reading it out as one table: every stored value of a quarter with
its provenance as a pandas DataFrame (frame) and as .csv/.xlsx for `plankit export` (export).
"""
