"""A real PostgreSQL server for the tests and the benchmark: initdb + pg_ctl on a temporary folder,
127.0.0.1 and a free port, a unix socket in the same folder. As root (initdb and postgres refuse
root) the server runs as the `postgres` system user (Debian's postgresql package creates it)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .smtp_helpers import free_port

USER = "plankit"


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    found = []
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout.strip()
            found.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    found += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                      key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                                      reverse=True)]
    return next((d for d in found if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


class PgServer:
    """One throw-away cluster. `url(db)` names a database on it (no password: trust auth)."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="plankit-pg-"))
        self.data, self.sockets, self.log = self.base / "data", self.base / "run", self.base / "server.log"
        self.port = free_port()
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self._n = 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=check)

    def start(self) -> PgServer:
        self.sockets.mkdir()
        if self.as_root:
            os.chmod(self.base, 0o755)
            shutil.chown(self.base, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8", "--locale", "C",
                  "--no-sync")
        self.up()
        return self

    def up(self) -> None:
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c max_connections=60"
                   " -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def down(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        """As an administrator restarts it: every session is ended (what a merge sees of a crash too)."""
        self.down("fast")
        self.up()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)  # thrown away
        # Its files (a test session's databases and WAL: hundreds of MB) are removed by a process of
        # their own: the session does not wait for the disk (20-40 s of a test run here, under load).
        try:
            subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)",
                              str(self.base)], start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def cpu_seconds(self) -> float:
        """CPU (user + system) the server has used so far: the postmaster, its live processes and
        (cutime/cstime) the sessions that have ended. Linux /proc; 0.0 elsewhere."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            ticks = os.sysconf("SC_CLK_TCK")
            total = 0
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                me, parent = int(stat.parent.name), int(fields[1])
                if me == pid:
                    total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
                elif parent == pid:
                    total += int(fields[11]) + int(fields[12])
            return total / ticks
        except (OSError, ValueError, IndexError):
            return 0.0

    def database_size(self, url: str) -> int:
        import psycopg
        with psycopg.connect(url) as conn:
            return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])

    def require_password(self, user: str, password: str) -> None:
        """A login role the server asks a password of (scram), every other user staying on trust:
        its pg_hba.conf line goes first, then the server reloads its configuration."""
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'")
            conn.execute(f"GRANT ALL ON DATABASE postgres TO \"{user}\"")
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all {user} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self._run("pg_ctl", "-D", str(self.data), "reload")

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database; its URL."""
        import psycopg
        self._n += 1
        name = name or f"t{os.getpid()}_{self._n}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
