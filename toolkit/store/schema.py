"""The database's tables and the schema version each store records in its `meta` table."""
from __future__ import annotations

import sqlite3


SCHEMA_VERSION = "1"


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS submissions(
  id INTEGER PRIMARY KEY, quarter TEXT NOT NULL, sha256 TEXT NOT NULL, ext TEXT NOT NULL,
  filename TEXT NOT NULL, origin TEXT NOT NULL, sender TEXT NOT NULL, sent_at TEXT, mtime TEXT,
  received_at TEXT NOT NULL, merged_at TEXT NOT NULL, department TEXT NOT NULL,
  accepted INTEGER NOT NULL, content_hash TEXT NOT NULL, identified_by TEXT NOT NULL,
  contact TEXT NOT NULL, problems TEXT NOT NULL, UNIQUE(quarter, sha256));
CREATE TABLE IF NOT EXISTS task_values(
  submission_id INTEGER NOT NULL REFERENCES submissions(id), task_no INTEGER NOT NULL,
  department TEXT NOT NULL, role TEXT, status TEXT, percent REAL, progress TEXT, issues TEXT,
  next_steps TEXT, cell TEXT, cells TEXT);
CREATE TABLE IF NOT EXISTS indicator_values(
  submission_id INTEGER NOT NULL REFERENCES submissions(id), task_no INTEGER NOT NULL,
  name TEXT NOT NULL, department TEXT NOT NULL, value REAL, note TEXT, cell TEXT, cells TEXT);
CREATE TABLE IF NOT EXISTS current(
  quarter TEXT NOT NULL, department TEXT NOT NULL, submission_id INTEGER NOT NULL,
  chosen_by TEXT NOT NULL, PRIMARY KEY(quarter, department));
CREATE INDEX IF NOT EXISTS submissions_dept ON submissions(quarter, department);
CREATE INDEX IF NOT EXISTS task_values_sub ON task_values(submission_id);
CREATE INDEX IF NOT EXISTS indicator_values_sub ON indicator_values(submission_id);
"""


def _add_cells_columns(conn: sqlite3.Connection) -> None:
    """A store made before values kept each field's own cell gets the column (empty: the row's cell
    is shown for those, as before)."""
    for table in ("task_values", "indicator_values"):
        if "cells" not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN cells TEXT")
