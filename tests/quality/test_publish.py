"""Atomic publication: one switch, readers pinned to one version, pruning, rollback, recovery
after a process is killed between build and publish (or in the middle of the switch)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from shared_exchange.quality import publish as pub
from shared_exchange.quality.runs import load_run


def _build(settings, run_id: str, marker: str) -> pub.Build:
    build = pub.start_build(settings, run_id)
    con = duckdb.connect(str(build.path))
    con.execute("create or replace table person_cases as select ? as marker, range as n "
                "from range(?)", [marker, 10 + len(marker)])
    con.close()
    return build


def _read_marker(settings) -> str:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return con.execute("select any_value(marker) from person_cases").fetchone()[0]
    finally:
        con.close()


def _audit_types(settings) -> list[str]:
    lines = (settings.audit / "audit.log").read_text("utf-8").splitlines()
    return [json.loads(line)["type"] for line in lines]


def test_publish_switches_in_one_step_and_is_audited(settings):
    first = _build(settings, "run-1", "one")
    assert pub.current(settings) is None
    pub.publish(settings, first, require_gates=False)
    assert settings.published_db.is_symlink()
    assert os.readlink(settings.published_db) == "builds/run-1.duckdb"  # relative
    assert _read_marker(settings) == "one"

    second = _build(settings, "run-2", "two")
    # the new build starts as a copy of the published file (incremental models stay so)
    assert second.base_version == "run-1"
    assert _read_marker(settings) == "one"  # building does not change what readers see
    pub.publish(settings, second, require_gates=False)
    assert _read_marker(settings) == "two"
    assert second.path.stat().st_mode & 0o222 == 0  # published builds are read-only
    assert _audit_types(settings).count("pipeline.published") == 2
    assert load_run(settings, "run-2")["status"] == "published"


def test_reader_keeps_its_version_across_publish_and_prune(settings):
    settings = type(settings)(home=settings.home, keep_versions=1)
    pub.publish(settings, _build(settings, "r1", "one"), require_gates=False)
    reader = duckdb.connect(str(pub.current_path(settings)), read_only=True)
    pub.publish(settings, _build(settings, "r2", "two"), require_gates=False)
    assert not (settings.warehouse / "builds" / "r1.duckdb").exists()  # pruned
    # the open reader still reads its whole version, never a mixture
    assert reader.execute("select distinct marker from person_cases").fetchall() == [("one",)]
    reader.close()
    assert _read_marker(settings) == "two"


def test_keep_last_n_and_rollback(settings):
    settings = type(settings)(home=settings.home, keep_versions=3)
    for i in range(1, 6):
        pub.publish(settings, _build(settings, f"run-{i}", f"v{i}"), require_gates=False)
    kept = [v["version"] for v in pub.versions(settings)]
    assert kept == ["run-5", "run-4", "run-3"]
    assert sorted(p.name for p in (settings.warehouse / "builds").iterdir()) == [
        "run-3.duckdb", "run-4.duckdb", "run-5.duckdb"]

    assert pub.rollback(settings) == "run-4"
    assert _read_marker(settings) == "v4"
    assert pub.rollback(settings) == "run-3"
    with pytest.raises(pub.PublishError, match="no version kept before run-3"):
        pub.rollback(settings)
    assert pub.rollback(settings, to="run-5") == "run-5"
    with pytest.raises(pub.PublishError, match="not kept"):
        pub.rollback(settings, to="run-1")
    assert _read_marker(settings) == "v5"
    assert _audit_types(settings).count("pipeline.rollback") == 3


def test_same_run_id_rebuilt_after_publish_gets_a_new_version(settings):
    pub.publish(settings, _build(settings, "manual", "a"), require_gates=False)
    again = _build(settings, "manual", "b")
    assert again.version == "manual.2"
    pub.publish(settings, again, require_gates=False)
    assert _read_marker(settings) == "b"


def test_publish_refuses_without_a_passed_marts_gate(settings):
    build = _build(settings, "ungated", "x")
    with pytest.raises(pub.PublishError, match="no passed marts gate"):
        pub.publish(settings, build)
    assert pub.current(settings) is None


def test_failure_inside_the_switch_leaves_published_intact(settings, monkeypatch):
    pub.publish(settings, _build(settings, "good", "good"), require_gates=False)
    bad = _build(settings, "bad", "bad")

    def crash(*_args):
        raise OSError("disk vanished")

    monkeypatch.setattr(pub.os, "replace", crash)
    with pytest.raises(OSError):
        pub.publish(settings, bad, require_gates=False)
    monkeypatch.undo()
    assert pub.current(settings) == "good" and _read_marker(settings) == "good"


CHILD = textwrap.dedent("""
    import sys, time, duckdb
    from shared_exchange.config import load_settings
    from shared_exchange.quality import publish as pub
    settings = load_settings(sys.argv[1])
    build = pub.start_build(settings, sys.argv[2])
    con = duckdb.connect(str(build.path))
    con.execute("create or replace table person_cases as select 'half' as marker, range as n "
                "from range(1000)")
    con.close()
    if sys.argv[3] == "in_switch":
        real_replace = pub.os.replace
        def slow_replace(src, dst):
            print("SWITCHING", flush=True)
            time.sleep(60)
            real_replace(src, dst)
        pub.os.replace = slow_replace
        pub.publish(settings, build, require_gates=False)
    print("BUILT", flush=True)
    time.sleep(60)
    pub.publish(settings, build, require_gates=False)
""")


def _run_and_kill(settings, run_id: str, mode: str, wait_for: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(pub.__file__).parents[2])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(settings.home), run_id, mode],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if wait_for in line:
                break
        else:
            pytest.fail(f"child never reached {wait_for}")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mode,wait_for", [("after_build", "BUILT"), ("in_switch", "SWITCHING")])
def test_killed_between_build_and_publish_recovers_without_manual_steps(settings, mode, wait_for):
    pub.publish(settings, _build(settings, "published_run", "old"), require_gates=False)
    _run_and_kill(settings, "crashed_run", mode, wait_for)

    # the published version is intact and is what queries read
    assert pub.current(settings) == "published_run"
    assert _read_marker(settings) == "old"
    assert (settings.warehouse / "builds" / "crashed_run.duckdb").exists()  # the leftover

    # the next run recovers on its own: the stale build is removed, the new one publishes
    nxt = _build(settings, "next_run", "new")
    assert not (settings.warehouse / "builds" / "crashed_run.duckdb").exists()
    assert not list(settings.warehouse.glob(".published.duckdb.*.tmp"))
    pub.publish(settings, nxt, require_gates=False)
    assert _read_marker(settings) == "new"
    states = {v["version"]: v["status"]
              for v in json.loads((settings.warehouse / "versions.json").read_text())["versions"]}
    assert states == {"published_run": "published", "crashed_run": "abandoned",
                      "next_run": "published"}


def test_abandoned_build_kept_for_inspection_then_cleaned(settings):
    pub.publish(settings, _build(settings, "good", "good"), require_gates=False)
    failed = _build(settings, "gate_failed_run", "bad")
    pub.abandon(settings, {"version": failed.version, "path": str(failed.path),
                           "run_id": failed.run_id}, reason="person_cases: key_unique")
    assert failed.path.exists()  # a data engineer can open the offending build
    assert load_run(settings, "gate_failed_run")["status"] == "failed"
    shown = {v["version"]: v["status"] for v in pub.versions(settings)}
    assert shown == {"good": "published", "gate_failed_run": "failed"}
    _build(settings, "next", "next")
    assert not failed.path.exists()
    assert pub.current(settings) == "good"


def test_a_build_after_a_project_change_is_a_full_refresh(settings, tmp_path):
    from shared_exchange.warehouse.dbt import project_digest

    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: p\n", encoding="utf-8")
    (project / "models" / "m.sql").write_text("select 1 as x\n", encoding="utf-8")
    before = project_digest(project)
    assert project_digest(project) == before

    first = pub.start_build(settings, "run-a", project_digest=before)
    assert not first.full_refresh  # nothing to refresh: the warehouse is empty
    duckdb.connect(str(first.path)).close()
    pub.publish(settings, first, require_gates=False)
    same = pub.start_build(settings, "run-b", project_digest=before)
    assert not same.full_refresh
    pub.publish(settings, same, require_gates=False)

    (project / "models" / "m.sql").write_text("select 2 as x\n", encoding="utf-8")
    changed = project_digest(project)
    assert changed != before
    after = pub.start_build(settings, "run-c", project_digest=changed)
    assert after.full_refresh
    assert pub.as_build({"version": after.version, "run_id": "run-c", "path": str(after.path),
                         "full_refresh": True}).full_refresh


def _from_spare(settings, version: str) -> bool:
    state = json.loads((settings.warehouse / "versions.json").read_text())
    return next(v for v in state["versions"] if v["version"] == version)["from_spare"]


def test_the_next_build_starts_from_the_spare_made_after_publishing(settings):
    assert pub.prepare_next(settings) is None  # nothing published: nothing to copy
    pub.publish(settings, _build(settings, "day-1", "one"), require_gates=False)
    spare = pub.prepare_next(settings)
    assert spare == settings.warehouse / "builds" / ".next.duckdb"
    assert spare.read_bytes() == (settings.warehouse / "builds" / "day-1.duckdb").read_bytes()

    second = _build(settings, "day-2", "two")
    assert _from_spare(settings, "day-2") and not spare.exists()  # renamed, not copied
    assert second.base_version == "day-1"
    con = duckdb.connect(str(second.path), read_only=True)  # day 1's tables, then day 2's
    assert con.execute("select count(*) from person_cases").fetchone() == (13,)
    con.close()
    assert _read_marker(settings) == "one"  # the served file was not the one written
    pub.publish(settings, second, require_gates=False)
    assert _read_marker(settings) == "two"

    # no spare (the task failed or never ran): the build copies, as before
    _build(settings, "day-3", "three")
    assert not _from_spare(settings, "day-3")


def test_a_spare_of_a_version_no_longer_served_is_never_used(settings):
    pub.publish(settings, _build(settings, "v1", "one"), require_gates=False)
    pub.publish(settings, _build(settings, "v2", "two"), require_gates=False)
    pub.prepare_next(settings)  # a copy of v2
    pub.rollback(settings, to="v1")
    nxt = _build(settings, "v3", "three")
    assert not _from_spare(settings, "v3")
    assert nxt.base_version == "v1"
    assert not (settings.warehouse / "builds" / ".next.duckdb").exists()  # removed as stale
    con = duckdb.connect(str(nxt.path), read_only=True)
    assert con.execute("select any_value(marker) from person_cases").fetchone() == ("three",)
    con.close()


def test_a_spare_copied_while_another_version_was_published_is_dropped(settings, monkeypatch):
    pub.publish(settings, _build(settings, "v1", "one"), require_gates=False)
    copy = pub.shutil.copyfile

    def publish_meanwhile(src, dst):
        copy(src, dst)
        monkeypatch.undo()  # the build below copies for itself
        pub.publish(settings, _build(settings, "v2", "two"), require_gates=False)

    monkeypatch.setattr(pub.shutil, "copyfile", publish_meanwhile)
    assert pub.prepare_next(settings) is None  # its copy is of v1; v2 is served
    assert not list((settings.warehouse / "builds").glob(".next.duckdb*"))
    _build(settings, "v3", "three")
    assert not _from_spare(settings, "v3")
