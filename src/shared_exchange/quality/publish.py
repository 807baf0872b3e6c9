"""Versioned warehouse builds and their atomic publication, pruning, rollback and recovery.

Each build is ``warehouse/builds/<version>.duckdb`` (version = the run id made file-safe),
started as a copy of the published file so incremental models stay incremental.
``warehouse/published.duckdb`` is a relative symlink to the published build, switched with
one ``os.replace`` of a fresh temporary link: a reader that opens it gets the old file or the
new one, never a mixture, and keeps its file even if a later switch or prune happens.
The switch is the commit point; ``warehouse/versions.json`` (written atomically) records
history and is reconciled with the link at the next ``start_build``, which also removes any
build a crash left unpublished. Builds run one at a time (the build DAG has
``max_active_runs=1``); a new ``start_build`` treats every unpublished build as abandoned.

The copy is seconds per GB (20 s for the 4.7 GB file of 1 M persons on a cold page cache), on
the path from a day's data to its marts. ``prepare_next`` makes it after publishing, while the
marts are already served: ``warehouse/builds/.next.duckdb``, recorded in ``versions.json``
with the version it copies. ``start_build`` renames it into place when that version is still
the published one, and copies afresh otherwise (a rollback, a crash, no spare made).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shared_exchange.config import Settings
from shared_exchange.fsutil import fsync_dir
from shared_exchange.quality import runs
from shared_exchange.quality.storage import atomic_write_json, locked, read_json, utc_now

log = logging.getLogger(__name__)

KEPT = "published"  # status of every version still on disk and eligible for rollback


class PublishError(RuntimeError):
    """Publication or rollback refused; the message says why and what to do."""


@dataclass(frozen=True)
class Build:
    version: str
    run_id: str
    path: Path
    base_version: str | None
    # the project's SQL, parameters or seeds differ from the base build's: rebuild everything
    full_refresh: bool = False


def _builds(settings: Settings) -> Path:
    return settings.warehouse / "builds"


def _state_path(settings: Settings) -> Path:
    return settings.warehouse / "versions.json"


def _lock(settings: Settings) -> Path:
    return settings.warehouse / ".publish.lock"


def _load(settings: Settings) -> dict[str, Any]:
    return read_json(_state_path(settings)) or {"current": None, "versions": []}


def _save(settings: Settings, state: dict[str, Any]) -> None:
    atomic_write_json(_state_path(settings), state)


def _entry(state: dict[str, Any], version: str) -> dict[str, Any] | None:
    return next((v for v in state["versions"] if v["version"] == version), None)


def _build_path(settings: Settings, version: str) -> Path:
    return _builds(settings) / f"{version}.duckdb"


def _spare_path(settings: Settings) -> Path:
    return _builds(settings) / ".next.duckdb"


def _remove_build_files(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".tmp")):
        leftover.unlink(missing_ok=True)


def current(settings: Settings) -> str | None:
    """The published version (read from the link itself, the commit point)."""
    link = settings.published_db
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).stem


def current_path(settings: Settings) -> Path | None:
    """The published build file, resolved once (open this, not the link, to pin a version)."""
    return settings.published_db.resolve() if settings.published_db.exists() else None


def _switch(settings: Settings, version: str) -> None:
    link = settings.published_db
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(Path("builds") / f"{version}.duckdb", tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def _recover(settings: Settings, state: dict[str, Any]) -> None:
    """Make the state agree with the link and delete builds a crash left unpublished."""
    live = current(settings)
    if live and state.get("current") != live:
        log.warning("versions.json said %s but the link serves %s: trusting the link",
                    state.get("current"), live)
        entry = _entry(state, live)
        if entry is not None:
            entry.update(status=KEPT, published_at=entry.get("published_at") or utc_now())
        state["current"] = live
    for entry in state["versions"]:
        if entry["status"] in ("building", "failed") and entry["version"] != live:
            _remove_build_files(_build_path(settings, entry["version"]))
            entry["status"] = "abandoned" if entry["status"] == "building" else "failed_removed"
            log.warning("removed unpublished build %s (run %s)", entry["version"], entry["run_id"])
    spare = state.get("next")
    if spare and (spare["base_version"] != live or not _spare_path(settings).exists()):
        state.pop("next")  # copies a version no longer served, or its file is gone
    known = {v["version"] for v in state["versions"] if v["status"] == KEPT}
    kept_spare = _spare_path(settings) if "next" in state else None
    for path in _builds(settings).glob("*.duckdb*"):
        if path.name.split(".duckdb")[0] not in known and path != kept_spare:
            log.warning("removed orphan build file %s", path.name)
            path.unlink(missing_ok=True)
    for tmp in settings.warehouse.glob(f".{settings.published_db.name}.*.tmp"):
        tmp.unlink(missing_ok=True)


def _new_version(state: dict[str, Any], run_id: str) -> str:
    base = runs.run_slug(run_id)
    taken = {v["version"] for v in state["versions"]
             if v["status"] not in ("abandoned", "failed_removed")}
    version, attempt = base, 1
    while version in taken:
        attempt += 1
        version = f"{base}.{attempt}"
    state["versions"] = [v for v in state["versions"] if v["version"] != version]
    return version


def start_build(settings: Settings, run_id: str, project_digest: str | None = None) -> Build:
    """A new build file for ``run_id``, a copy of the published one (or empty at first).

    ``project_digest`` (shared_exchange.warehouse.dbt.build_digest) is recorded with the
    version; when the base build was made by another project version, the build is marked
    ``full_refresh`` so incremental models are rebuilt with the new logic.
    """
    _builds(settings).mkdir(parents=True, exist_ok=True)
    with locked(_lock(settings)):
        state = _load(settings)
        _recover(settings, state)
        version = _new_version(state, run_id)
        base = current(settings)
        base_entry = _entry(state, base) if base else None
        full_refresh = bool(base_entry and project_digest
                            and base_entry.get("project_digest") != project_digest)
        path = _build_path(settings, version)
        # _recover kept the spare only if it copies the published version
        spared = bool(base and state.pop("next", None))
        # recorded before the copy, so a crash mid-copy is found and cleaned next time
        state["versions"].append({"version": version, "run_id": run_id, "status": "building",
                                  "base_version": base, "project_digest": project_digest,
                                  "created_at": utc_now(), "from_spare": spared})
        _save(settings, state)
        if spared:
            os.replace(_spare_path(settings), path)
    if base and not spared:
        tmp = path.with_name(path.name + ".tmp")
        shutil.copyfile(_build_path(settings, base), tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    runs.update_run(settings, run_id, "build_started", version=version, base_version=base)
    log.info("build %s started from %s%s", version, base or "an empty warehouse",
             " (project changed: full refresh)" if full_refresh else "")
    return Build(version=version, run_id=run_id, path=path, base_version=base,
                 full_refresh=full_refresh)


def prepare_next(settings: Settings) -> Path | None:
    """Copy the published build for the next ``start_build`` to rename: the spare.

    Call it after ``publish``: the copy then costs nothing on the way from data to marts. It
    returns None when nothing is published, or when another version was published or rolled
    back to while it copied (that spare would be stale; the next build copies for itself).
    """
    base = current(settings)
    if base is None:
        return None
    spare = _spare_path(settings)
    tmp = spare.with_name(spare.name + ".tmp")
    shutil.copyfile(_build_path(settings, base), tmp)  # the source is read-only: no torn copy
    with locked(_lock(settings)):
        state = _load(settings)
        if current(settings) != base or not tmp.exists():  # a start_build swept the .tmp
            tmp.unlink(missing_ok=True)
            log.info("spare of %s dropped: %s is published now", base, current(settings))
            return None
        os.chmod(tmp, 0o600)
        os.replace(tmp, spare)
        state["next"] = {"base_version": base, "made_at": utc_now()}
        _save(settings, state)
    log.info("spare of %s ready for the next build", base)
    return spare


def as_build(build: Build | Mapping[str, Any]) -> Build:
    """Accept the dict a DAG passes through XCom (``version``, ``path``, ``run_id``)."""
    if isinstance(build, Build):
        return build
    return Build(version=build["version"], run_id=build["run_id"], path=Path(build["path"]),
                 base_version=build.get("base_version"),
                 full_refresh=bool(build.get("full_refresh")))


def _gates_passed(settings: Settings, run_id: str) -> None:
    run = runs.load_run(settings, run_id) or {}
    gates = run.get("gates", {})
    failed = sorted(name for name, g in gates.items() if not g["success"])
    if failed:
        raise PublishError(f"run {run_id} failed gates {failed}: fix the data and rerun; "
                           f"see {run.get('data_docs')}")
    if not any(g.get("layer") == "marts" for g in gates.values()):
        raise PublishError(f"run {run_id} has no passed marts gate: call gate_layer(settings, "
                           "'marts', build.path, run_id) before publish")


def _audit(settings: Settings, event: str, actor: str, role: str, reason: str, **fields) -> None:
    from shared_exchange.audit import record_event

    record_event(settings, event, actor=actor, role=role, decision="allowed", reason=reason,
                 **fields)


def publish(
    settings: Settings,
    build: Build | Mapping[str, Any],
    *,
    actor: str = "pipeline",
    role: str = "data_engineer",
    require_gates: bool = True,
) -> None:
    """Make ``build`` the published version in one atomic switch, then prune old versions."""
    build = as_build(build)
    if require_gates:
        _gates_passed(settings, build.run_id)
    with locked(_lock(settings)):
        state = _load(settings)
        entry = _entry(state, build.version)
        if entry is None or entry["status"] != "building" or not build.path.exists():
            raise PublishError(f"build {build.version} is not an unpublished build on disk "
                               f"(status {entry and entry['status']}): start a new build")
        con = duckdb.connect(str(build.path))
        try:
            con.execute("checkpoint")  # fold the WAL in: readers open the file read-only
        finally:
            con.close()
        os.chmod(build.path, 0o444)  # a published build is never written again
        previous = current(settings)
        _switch(settings, build.version)
        entry.update(status=KEPT, published_at=utc_now(), activation=_activation(state))
        state["current"] = build.version
        _prune(settings, state)
        _save(settings, state)
    _audit(settings, "pipeline.published", actor, role,
           f"run {build.run_id} passed its gates", version=build.version,
           previous_version=previous, run_id=build.run_id, datasets=["marts"])
    runs.update_run(settings, build.run_id, "published", status="published",
                    version=build.version, previous_version=previous)
    log.info("published %s (was %s)", build.version, previous)


def abandon(settings: Settings, build: Build | Mapping[str, Any], reason: str) -> None:
    """Mark a build that failed its gates; its file stays for inspection until the next build."""
    build = as_build(build)
    with locked(_lock(settings)):
        state = _load(settings)
        entry = _entry(state, build.version)
        if entry is not None and entry["status"] == "building":
            entry.update(status="failed", reason=reason[:500])
            _save(settings, state)
    runs.update_run(settings, build.run_id, "blocked", status="failed", version=build.version,
                    reason=reason[:500])


def _activation(state: dict[str, Any]) -> int:
    """A counter, not a clock: which version was served most recently orders pruning."""
    state["activations"] = state.get("activations", 0) + 1
    return state["activations"]


def _prune(settings: Settings, state: dict[str, Any]) -> None:
    kept = [v for v in state["versions"] if v["status"] == KEPT]
    kept.sort(key=lambda v: v.get("activation", 0), reverse=True)
    keep = max(1, settings.keep_versions)
    for entry in kept[keep:]:
        if entry["version"] == state["current"]:
            continue
        _remove_build_files(_build_path(settings, entry["version"]))
        entry["status"] = "pruned"
        log.info("pruned version %s", entry["version"])


def versions(settings: Settings) -> list[dict[str, Any]]:
    """Versions on disk (published ones and any build in progress), newest first."""
    live = current(settings)
    state = _load(settings)
    shown = [dict(v, current=v["version"] == live) for v in state["versions"]
             if v["status"] in (KEPT, "building", "failed")]
    return list(reversed(shown))


def rollback(
    settings: Settings, to: str | None = None, *, actor: str = "cli", role: str = "data_engineer"
) -> str:
    """Serve ``to`` (default: the version published before the current one); return it."""
    with locked(_lock(settings)):
        state = _load(settings)
        live = current(settings)
        kept = [v["version"] for v in state["versions"]
                if v["status"] == KEPT and _build_path(settings, v["version"]).exists()]
        if to is None:
            earlier = kept[: kept.index(live)] if live in kept else []
            if not earlier:
                raise PublishError(f"no version kept before {live}; kept versions: {kept}")
            to = earlier[-1]
        if to not in kept:
            raise PublishError(f"version {to!r} is not kept on disk; choose one of {kept}")
        _switch(settings, to)
        _entry(state, to).update(activation=_activation(state), rolled_back_at=utc_now())
        state["current"] = to
        _save(settings, state)
    _audit(settings, "pipeline.rollback", actor, role, f"rolled back from {live}",
           version=to, previous_version=live, datasets=["marts"])
    log.info("rolled back from %s to %s", live, to)
    return to
