"""Run the dbt project in-process (dbtRunner) against one versioned DuckDB build.

The project reads the raw layer under ``SHARED_EXCHANGE_HOME`` and writes the database named
by ``SHARED_EXCHANGE_BUILD_DB``; both are set here for the duration of one invocation, so
callers (CLI, Airflow tasks, tests) never touch the environment themselves.

dbt opens every build through one path per working folder, ``warehouse.duckdb``: a hard link
to the build's versioned file for the duration of the invocation. dbt's parse state includes
the profile, so a path per build made every invocation a full parse (≈ 4 s, a quarter of a
100 k daily build); with a constant path dbt parses only what changed. A hard link,
because DuckDB resolves a symlink and would name the catalog after the target, not the path
dbt compiled into its SQL. ``SHARED_EXCHANGE_BUILD_ID`` tells the models which build runs
(the versioned file's stem).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from shared_exchange.config import ENV_HOME, PROJECT_ROOT, Settings

__all__ = ["BUILD", "BUILD_LINK", "DBT_PROJECT_DIR", "ENV_BUILD_DB", "ENV_BUILD_ID", "DbtRunError",
           "build_command", "failed_nodes", "project_digest", "run_dbt"]

log = logging.getLogger(__name__)
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
ENV_BUILD_DB = "SHARED_EXCHANGE_BUILD_DB"
ENV_BUILD_ID = "SHARED_EXCHANGE_BUILD_ID"
# what dbt opens, in the invocation's working folder (see the module docstring)
BUILD_LINK = "warehouse.duckdb"
# dbt is configured through the process environment; one invocation at a time per process.
_ENV_LOCK = threading.Lock()
_OFFLINE = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false"}
_BAD_STATUSES = {"error", "fail", "runtime error", "skipped"}
# What a warehouse build runs: models, seeds and data tests. dbt's unit tests check SQL logic
# on fixed inputs, not data; CI runs them (tests/warehouse/test_legal_rules.py), as dbt advises.
BUILD = ("build", "--exclude-resource-type", "unit_test")
# What decides a model's logic; a change here makes the next build a full refresh.
_LOGIC = ("dbt_project.yml", "models", "macros", "seeds")


class DbtRunError(RuntimeError):
    """A dbt invocation failed; ``nodes`` lists (unique_id, status) of what failed."""

    def __init__(self, message: str, nodes: list[tuple[str, str]]):
        super().__init__(message)
        self.nodes = nodes


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def project_digest(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """SHA-256 over the project's SQL, YAML, parameters and seeds (paths and contents)."""
    digest = hashlib.sha256()
    for part in _LOGIC:
        root = project_dir / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_command(args: Sequence[str], *, full_refresh: bool, from_base: bool) -> list[str] | None:
    """The dbt command one step of a build runs, or None when there is nothing to run.

    A build whose project changed since its base build rebuilds in full: ``--full-refresh``,
    for seeds too (a seed's columns may have changed). A build started from an unchanged
    base already holds the seeds as they are now (``project_digest`` covers them), so it
    does not load them again: ``seed`` runs nothing, and ``build`` leaves out the seeds and
    their data tests (27 of a daily build's 159 nodes; the tests ran when they were loaded).
    """
    args = list(args)
    full_refresh = full_refresh or "--full-refresh" in args
    if full_refresh and args[0] in ("build", "run", "seed") and "--full-refresh" not in args:
        args.append("--full-refresh")
    if full_refresh or not from_base:
        return args
    if args[0] == "seed":
        return None
    return [*args, "--exclude", "resource_type:seed"] if args[0] == "build" else args


def build_digest(settings: Settings) -> str:
    """What a build's incremental rows were made from: the project's logic and the raw
    layer's rewrite stamp (raw_rewrites). When either differs from the base build's, the
    next build is a full refresh."""
    from shared_exchange.raw_rewrites import raw_rewrite_stamp

    return hashlib.sha256(f"{project_digest()}:{raw_rewrite_stamp(settings)}".encode()).hexdigest()


def _release_build_db() -> None:
    """Close dbt-duckdb's cached connection so the build file can be opened (read-only,
    published, copied) by the same process once dbt is done."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (e.g. Spark) keeps no local file open
        return
    env = DuckDBConnectionManager._ENV
    if env is not None and hasattr(env, "close"):
        env.close()
    DuckDBConnectionManager.close_all_connections()


def _drop_link(link: Path) -> None:
    """Remove the link. A write-ahead log beside it (a killed invocation) is first replayed
    into the file the link names, as DuckDB would on that file's next open; a log without
    its link names no file, and must not be replayed into the next build's."""
    wal = link.with_name(link.name + ".wal")
    if wal.exists() and link.exists():
        import duckdb

        duckdb.connect(str(link)).close()
    elif wal.exists():
        log.warning("removing %s: a write-ahead log whose build file is unknown", wal)
        wal.unlink()
    link.unlink(missing_ok=True)


@contextmanager
def _linked(build_db: Path, work: Path) -> Iterator[Path]:
    """The path dbt opens for ``build_db`` (module docstring); a new build is created through
    it and keeps its versioned name. Falls back to ``build_db`` itself where a hard link
    cannot be made (another file system): correct, only reparsed in full."""
    work.mkdir(parents=True, exist_ok=True)
    link = work / BUILD_LINK
    _drop_link(link)
    try:
        if build_db.exists():
            os.link(build_db, link)
    except OSError as exc:
        log.info("no hard link %s → %s (%s): dbt opens the build file", link, build_db, exc)
        yield build_db
        return
    try:
        yield link
    finally:
        if link.exists() and not build_db.exists():
            os.link(link, build_db)
        _drop_link(link)


def failed_nodes(result: dbtRunnerResult) -> list[tuple[str, str]]:
    """(unique_id, status) of every node that errored, failed or was skipped."""
    results = getattr(result.result, "results", None) or []
    out = []
    for res in results:
        status = str(getattr(res.status, "value", res.status)).lower()
        if status in _BAD_STATUSES:
            out.append((res.node.unique_id, status))
    return out


def _first_messages(result: dbtRunnerResult, limit: int = 5) -> list[str]:
    results = getattr(result.result, "results", None) or []
    msgs = []
    for res in results:
        status = str(getattr(res.status, "value", res.status)).lower()
        if status in _BAD_STATUSES - {"skipped"} and res.message:
            msgs.append(f"{res.node.unique_id}: {str(res.message).splitlines()[0][:300]}")
    return msgs[:limit]


def run_dbt(
    args: list[str],
    settings: Settings,
    build_db: Path,
    *,
    target_dir: Path | None = None,
) -> dbtRunnerResult:
    """Invoke ``dbt <args>`` on the project with the raw layer of ``settings`` and ``build_db``.

    Raises DbtRunError naming the failing nodes (and dbt's first messages) when dbt reports
    failure; the logs under ``<home>/warehouse/dbt/logs`` have the full story.
    """
    work = Path(target_dir) if target_dir else settings.warehouse / "dbt"
    build_db = Path(build_db)
    build_db.parent.mkdir(parents=True, exist_ok=True)
    full_args = [
        *args,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
    ]
    log.info("dbt %s (build %s)", " ".join(args), build_db.name)
    with _ENV_LOCK, _linked(build_db, work) as opened:
        env = {ENV_HOME: str(settings.home), ENV_BUILD_DB: str(opened),
               ENV_BUILD_ID: build_db.stem, **_OFFLINE}
        with _environment(env):
            try:
                result = dbtRunner().invoke(full_args)
            finally:
                _release_build_db()
    if result.success:
        return result
    nodes = failed_nodes(result)
    if result.exception is not None:
        detail = f"{type(result.exception).__name__}: {result.exception}"
    else:
        detail = "; ".join(_first_messages(result)) or "see dbt logs"
    names = ", ".join(f"{uid} ({status})" for uid, status in nodes) or "none reported"
    raise DbtRunError(
        f"dbt {' '.join(args)} failed. Failing nodes: {names}. {detail}. "
        f"Full log: {work / 'logs' / 'dbt.log'}",
        nodes,
    )
