"""A throw-away PostgreSQL server for deployment tests: initdb in a tmp dir, loopback only.

Skips (with the reason and the install command) when no server binary is on this machine.
As root, PostgreSQL refuses to run, so the cluster belongs to the ``postgres`` system user
that the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = (
    "apt-get install -y postgresql (server binaries in /usr/lib/postgresql/<v>/bin) and "
    "`uv pip install psycopg2-binary asyncpg`"
)


def pg_bin_dir() -> Path | None:
    """The folder holding pg_ctl: on PATH, else the newest /usr/lib/postgresql/<v>/bin."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str  # the cluster's superuser
    root: Path
    bindir: Path

    def url(self, database: str, user: str, driver: str = "psycopg2") -> str:
        return f"postgresql+{driver}://{user}@127.0.0.1:{self.port}/{database}"

    def run_sql_file(self, path: Path, **variables: str) -> subprocess.CompletedProcess:
        """``psql -f path`` as the superuser, as an operator would run deploy/postgres SQL."""
        args = [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                "-U", self.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-f", str(path)]
        for name, value in variables.items():
            args += ["-v", f"{name}={value}"]
        return subprocess.run(args, capture_output=True, text=True, check=False)

    def query(self, database: str, sql: str, params: tuple = (), user: str | None = None
              ) -> list[tuple]:
        import psycopg2

        with psycopg2.connect(host="127.0.0.1", port=self.port, user=user or self.user,
                              dbname=database) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


def _as_owner() -> dict:
    """subprocess arguments to run the server as a non-root user (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return {}
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and no `postgres` system user to own the test cluster")
    return {"user": owner.pw_uid, "group": owner.pw_gid}


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster in a tmp dir, on a free loopback port, trust auth, no fsync."""
    pytest.importorskip("psycopg2", reason=f"no psycopg2 driver: {INSTALL_HINT}")
    bindir = pg_bin_dir()
    if bindir is None:
        pytest.skip(f"no PostgreSQL server binary (pg_ctl not found): {INSTALL_HINT}")
    owner = _as_owner()
    root = Path(tempfile.mkdtemp(prefix="se-pg-"))
    if owner:
        os.chown(root, owner["user"], owner["group"])
    data, port, user = root / "data", free_port(), "postgres"
    run = {"check": True, "capture_output": True, "text": True, **owner}
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                    "-E", "UTF8", "--no-sync", "--no-instructions"], **run)
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                    "-w", "-t", "60", "-o", options, "start"], **run)
    try:
        yield PostgresServer(port=port, user=user, root=root, bindir=bindir)
    finally:
        subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                        "stop"], **{**run, "check": False})
        time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)
