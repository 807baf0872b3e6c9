"""The bench's prepared-data cache: keys, locking, atomic entries and cheap working homes.

Used by ``prepared.py`` (which knows what each stage holds and how to make it). An entry is
``<cache>/<stage>-p<persons>-d<days>-s<seed>-<fingerprint>/``: made under a temporary name
while holding a ``flock`` per (stage, size), then renamed, ``prepared.json`` inside. Working
homes hardlink what is never written in place and copy the rest.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from shared_exchange.config import load_settings

log = logging.getLogger("bench.prepared")
ROOT = Path(__file__).resolve().parents[1]
CACHE_ENV = "SHARED_EXCHANGE_BENCH_CACHE"
PIN_ENV = "SHARED_EXCHANGE_BENCH_FINGERPRINTS"  # set by pin(): {stage: code fingerprint}
DEFAULT_CACHE = Path("~/.cache/shared-exchange-bench")
FORMAT = 1  # bump when prepared.py or this module changes what an entry holds
MARKER = "prepared.json"  # written last: an entry without it is not finished
# Top-level folders whose files are only ever replaced (written to a temporary name, then
# os.replace) or read, never changed in place: ingest/writer.py, ingest/ledger.py, the synth
# writers, security/erasure.py; the landing zone is read-only to ingestion. A clone may
# hardlink them. Everything else is copied: keys/person_keys.sqlite is updated in place,
# the audit log is appended to, warehouse builds are DuckDB files.
LINKED = ("landing", "synth", "raw", "quarantine", "ledger")
# What each stage's content depends on, cumulatively: folders under the project root, and
# the project modules an entry point imports (found in a fresh interpreter, so a change to,
# say, the gateway does not invalidate an ingested snapshot but a change to the keyring does).
INPUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "landing": (("src/shared_exchange/synth", "src/shared_exchange/contracts"),
                ("shared_exchange.synth",)),
    "ingested": (("src/shared_exchange/ingest",), ("shared_exchange.ingest.load",)),
    "built": (("dbt_project",), ("shared_exchange.warehouse.dbt",
                                 "shared_exchange.quality.publish")),
}
PACKAGES = {"landing": (), "ingested": ("pyarrow", "cryptography"),
            "built": ("duckdb", "dbt-core", "dbt-duckdb")}
_SKIP_DIRS = {"__pycache__", "target", "logs", "dbt_packages", ".pytest_cache"}


@dataclass
class Stage:
    """What preparing one stage cost in this process (for the area's JSON)."""

    stage: str
    entry: str
    hit: bool
    seconds: float  # spent here: 0 on a hit, else preparing (incl. earlier stages it needed)
    meta: dict[str, Any] = field(default_factory=dict)


EVENTS: list[Stage] = []


def cache_root() -> Path:
    """The cache folder (made 0700: it holds the synthetic deployment's keys)."""
    root = Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser().resolve()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def fingerprint(stage: str, extra: Sequence[str] = ()) -> str:
    """The stage's key: its code fingerprint (pinned for a run, see ``pin``) and ``extra``."""
    pinned = json.loads(os.environ.get(PIN_ENV) or "{}")
    base = pinned.get(stage) or code_fingerprint(stage)
    if not extra:
        return base
    return hashlib.sha256("\n".join([base, *extra]).encode()).hexdigest()[:16]


def pin() -> dict[str, str]:
    """Fix every stage's code fingerprint for this process and its children (run_all does
    this once, so an edit made by someone else during a long run does not make a later area
    prepare again in the middle of it). A stage already pinned in the environment keeps its
    fingerprint: set it to reuse a cache whose output a code change does not alter (e.g.
    a reader change leaves the generated landing zone as it was)."""
    pinned = json.loads(os.environ.get(PIN_ENV) or "{}")
    fps = {stage: pinned.get(stage) or code_fingerprint(stage) for stage in INPUTS}
    os.environ[PIN_ENV] = json.dumps(fps)
    return fps


def code_fingerprint(stage: str) -> str:
    """SHA-256 over the stage's (and earlier stages') source files and package versions."""
    digest = hashlib.sha256(f"format {FORMAT}\n".encode())
    stages = list(INPUTS)[:list(INPUTS).index(stage) + 1]
    imported = _imported_files(tuple(m for s in stages for m in INPUTS[s][1]))
    for name in stages:
        folders, modules = INPUTS[name]
        paths = {p for rel in folders for p in _files(ROOT / rel)}
        paths.update(p for module in modules for p in imported[module])
        for path in sorted(paths):
            digest.update(f"{path.relative_to(ROOT)}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        for package in PACKAGES[name]:
            digest.update(f"{package}=={_version(package)}\n".encode())
        if name == "ingested":  # the cipher and MAC the settings choose change every byte
            settings = load_settings(ROOT)
            digest.update(f"{settings.cipher}/{settings.token_mac}\n".encode())
    return digest.hexdigest()[:16]


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file()
                  and not _SKIP_DIRS.intersection(p.relative_to(path).parts)
                  and p.suffix not in (".pyc", ".duckdb", ".wal"))


@cache
def _imported_files(modules: tuple[str, ...]) -> dict[str, tuple[Path, ...]]:
    """Per entry-point module: project source files its import loads first (one fresh
    process importing them in stage order, so each stage adds what the earlier ones lack)."""
    code = ("import importlib, json, sys\n"
            "seen, out = set(), {}\n"
            "for name in sys.argv[1:]:\n"
            "    importlib.import_module(name)\n"
            "    files = {getattr(m, '__file__', None) or '' for n, m in list(sys.modules.items())"
            " if n.split('.')[0] == 'shared_exchange'}\n"
            "    out[name] = sorted(files - seen)\n"
            "    seen |= files\n"
            "print(json.dumps(out))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", code, *modules], env=env, capture_output=True,
                         text=True, check=True).stdout
    return {name: tuple(Path(f) for f in files if f and Path(f).is_relative_to(ROOT))
            for name, files in json.loads(out).items()}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another process preparing %s", path.stem)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_entry(stage: str, persons: int, days: int, seed: int,
           make: Callable[[Path], dict[str, Any]], extra: Sequence[str] = ()) -> Path:
    """The cached entry of one stage and size, made by ``make(tmp_home)`` on a miss."""
    root = cache_root()
    prefix = f"{stage}-p{persons}-d{days}-s{seed}-"
    final = root / f"{prefix}{fingerprint(stage, extra)}"
    started = time.perf_counter()
    with _locked(root / ".locks" / f"{prefix}lock"):
        if (final / MARKER).exists():  # seconds: time spent waiting for another preparer
            meta = facts(final)
            EVENTS.append(Stage(stage, final.name, True,
                                 round(time.perf_counter() - started, 2), meta))
            return final
        # other fingerprints of this size are stale; dot-names are dead attempts (we hold
        # the lock, so nobody is writing one)
        for old in [*root.glob(f"{prefix}*"), *root.glob(f".{prefix}*")]:
            log.info("removing stale bench cache entry %s", old.name)
            shutil.rmtree(old, ignore_errors=True)
        tmp = root / f".{final.name}.tmp-{os.getpid()}"
        tmp.mkdir(parents=True)
        log.warning("preparing %s (persons=%d, days=%d, seed=%d) in %s", stage, persons, days,
                    seed, final)
        nested = len(EVENTS)
        try:
            meta = make(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # this stage's own seconds: the earlier stages it needed report theirs
        seconds = round(time.perf_counter() - started
                        - sum(e.seconds for e in EVENTS[nested:]), 2)
        meta.update(stage=stage, persons=persons, days=days, seed=seed, prepare_s=seconds,
                    created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        (tmp / MARKER).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        os.rename(tmp, final)
    EVENTS.append(Stage(stage, final.name, False, seconds, meta))
    return final


def facts(entry: Path) -> dict[str, Any]:
    """What an entry's maker recorded (sizes, dates, rows, seconds)."""
    return json.loads((entry / MARKER).read_text(encoding="utf-8"))


def working_home(source: Path, label: str, read_only: Sequence[str] = ()) -> Path:
    """A fresh writable home cloned from a cache entry, under the cache's ``work/``.

    ``read_only`` names more folders (relative to the home) to hardlink because the caller
    only reads them (the gateway opens ``warehouse/builds`` read-only). Remove the home with
    ``remove_home`` when done; homes of dead processes are removed here.
    """
    work = cache_root() / "work"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():
        pid = old.name.rsplit("-", 2)[-2] if old.name.count("-") >= 2 else ""
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    home = work / f"{label}-{os.getpid()}-{os.urandom(4).hex()}"
    home.mkdir()
    started = time.perf_counter()
    clone(source, home, read_only)
    EVENTS.append(Stage("working_home", source.name, True,
                         round(time.perf_counter() - started, 2), {"home": str(home)}))
    return home


def remove_home(home: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clone(source: Path, target: Path, read_only: Sequence[str] = (), _rel: str = "") -> None:
    """Hardlink the LINKED (and read_only) folders, copy the rest (symlinks stay symlinks).

    ``read_only`` holds paths relative to the home (``warehouse/builds``)."""
    linked = {*LINKED, *read_only}
    target.mkdir(exist_ok=True)
    for child in sorted(source.iterdir()):
        rel = f"{_rel}{child.name}"
        if rel == MARKER:
            continue
        dest = target / child.name
        if child.is_symlink():
            dest.symlink_to(os.readlink(child))
        elif not child.is_dir():
            shutil.copy2(child, dest)
        elif rel in linked:
            shutil.copytree(child, dest, symlinks=True, copy_function=_link_or_copy)
        elif any(p.startswith(f"{rel}/") for p in linked):
            clone(child, dest, read_only, f"{rel}/")
        else:
            shutil.copytree(child, dest, symlinks=True)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed: a copy is always right
        shutil.copy2(src, dst)


def report() -> dict[str, Any]:
    """What this process prepared or reused, for an area's JSON (not part of any row)."""
    stages = [asdict(e) for e in EVENTS]
    cached = [e for e in EVENTS if e.stage != "working_home"]
    return {"cache": str(cache_root()), "hit": all(e.hit for e in cached),
            "prepare_s": round(sum(e.seconds for e in EVENTS), 2), "stages": stages}
