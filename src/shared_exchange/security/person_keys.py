"""Per-person data keys in SQLite (``keys/person_keys.sqlite``): the basis of crypto-shredding.

Each person (by ID token) gets a wrapped data key; destroying it erases every value that
was encrypted for that person, wherever copies of the ciphertext live. Several ingestion
processes create keys at once, so creation is INSERT OR IGNORE followed by a re-read: all
processes end up using the one row that won.

Rotation gives every person a new version (the new primary); old versions stay enabled
(they still decrypt) until re-encryption finds nothing under them and retires them
(state ``disabled``). Destroying a person destroys every version. The ``meta`` table
holds the KEK id the store is wrapped with and an epoch bumped by every rotation or
retirement, so other processes drop cached key choices.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from shared_exchange.security.keyring_file import check_kek
from shared_exchange.security.kms import KeyEncryptionKey, check_private_file, wrapped_by

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS person_keys (
    key_id       TEXT PRIMARY KEY,
    id_token     TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    state        TEXT NOT NULL,
    wrapped      BLOB,
    created_at   TEXT NOT NULL,
    destroyed_at TEXT
);
CREATE TABLE IF NOT EXISTS destroyed_log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Added with rotation; ALTERed into stores created before it.
_VERSIONED = (("version", "INTEGER NOT NULL DEFAULT 1"),
              ("is_primary", "INTEGER NOT NULL DEFAULT 1"),
              ("retired_at", "TEXT"))
_INDEXES = """
DROP INDEX IF EXISTS person_keys_live;
CREATE UNIQUE INDEX IF NOT EXISTS person_keys_primary
    ON person_keys (id_token, algorithm) WHERE state = 'enabled' AND is_primary = 1;
CREATE INDEX IF NOT EXISTS person_keys_token ON person_keys (id_token);
"""
_COLUMNS = "key_id, id_token, algorithm, state, wrapped, version, is_primary"
_CHUNK = 500  # stays under SQLite's host-parameter limit


@dataclass(frozen=True)
class PersonKeyRow:
    key_id: str
    id_token: str
    algorithm: str
    state: str
    wrapped: bytes | None
    version: int = 1
    is_primary: bool = True

    @property
    def primary(self) -> bool:
        return self.state == "enabled" and bool(self.is_primary)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class PersonKeyStore:
    """The person-key table; one SQLite connection per process (connections do not fork)."""

    def __init__(self, path: Path, kms: KeyEncryptionKey) -> None:
        self.path = path
        self._kms = kms
        self._local = threading.local()  # sqlite3 connections belong to one thread
        self._seen_seq = -1  # last destroyed_log entry this process has acted on

    # -- connection --
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            check_private_file(self.path, "person-key store")
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Overwrite deleted/updated cells with zeros so shredded key bytes do not linger.
            conn.execute("PRAGMA secure_delete = ON")
            conn.executescript(_SCHEMA)
            _migrate(conn)
            self._local.conn, self._local.pid = conn, os.getpid()
            if self._seen_seq < 0:
                self._seen_seq = conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM destroyed_log"
                ).fetchone()[0]
        return conn

    # -- reads --
    def lookup(self, key_id: str) -> PersonKeyRow | None:
        row = self._db().execute(
            f"SELECT {_COLUMNS} FROM person_keys WHERE key_id=?",
            (key_id,),
        ).fetchone()
        return PersonKeyRow(*row) if row else None

    def lookup_many(self, key_ids: list[str]) -> list[PersonKeyRow]:
        rows: list[PersonKeyRow] = []
        db = self._db()
        for i in range(0, len(key_ids), _CHUNK):
            chunk = key_ids[i : i + _CHUNK]
            rows.extend(PersonKeyRow(*r) for r in db.execute(
                f"SELECT {_COLUMNS} FROM person_keys "
                f"WHERE key_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ))
        return rows

    def live_keys(self, tokens: list[str], algorithm: str) -> dict[str, tuple[str, bytes]]:
        """token → (key_id, wrapped) for the primary keys of these tokens."""
        found: dict[str, tuple[str, bytes]] = {}
        db = self._db()
        for i in range(0, len(tokens), _CHUNK):
            chunk = tokens[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                "SELECT id_token, key_id, wrapped FROM person_keys WHERE state='enabled' "
                f"AND is_primary=1 AND algorithm=? AND id_token IN ({marks})",
                (algorithm, *chunk),
            )
            for token, key_id, wrapped in rows:
                found[token] = (key_id, wrapped)
        return found

    def stats(self) -> dict[str, int]:
        rows = self._db().execute("SELECT state, COUNT(*) FROM person_keys GROUP BY state")
        return {state: n for state, n in rows}

    # -- writes --
    def ensure(
        self,
        tokens: Iterable[str],
        algorithm: str,
        new_key: Callable[[], bytes],
        new_key_id: Callable[[], str],
        generated: dict[str, bytes] | None = None,
    ) -> dict[str, tuple[str, bytes]]:
        """token → (key_id, wrapped), creating missing keys in one transaction.

        ``generated`` receives key_id → clear key for the keys this call made, so the
        caller need not unwrap what it just wrapped (only winners' rows are used).
        """
        wanted = list(dict.fromkeys(tokens))
        found = self.live_keys(wanted, algorithm)
        missing = [t for t in wanted if t not in found]
        if not missing:
            return found
        created = _now()
        fresh = [(new_key_id(), token, new_key()) for token in missing]
        if generated is not None:
            generated.update((key_id, key) for key_id, _, key in fresh)
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            # Wrapped under the lock, after the KEK check: a KEK rotation that committed
            # before us is seen here, so no key is wrapped by a KEK about to be removed.
            self._check_kek(db)
            wrap = self._kms.wrap
            db.executemany(
                "INSERT OR IGNORE INTO person_keys (key_id, id_token, algorithm, state, "
                "wrapped, created_at, version) VALUES (?, ?, ?, 'enabled', ?, ?, "
                "(SELECT COALESCE(MAX(version), 0) + 1 FROM person_keys "
                " WHERE id_token = ? AND algorithm = ?))",
                [(k, t, algorithm, wrap(key, key_id=k), created, t, algorithm)
                 for k, t, key in fresh],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        # Re-read: a parallel process may have won the insert for some tokens.
        found.update(self.live_keys(missing, algorithm))
        return found

    def destroy_token(self, id_token: str) -> list[str]:
        """Wipe every key of one person; returns the destroyed key ids."""
        return self._destroy("id_token = ?", id_token)

    def destroy_key(self, key_id: str) -> list[str]:
        return self._destroy("key_id = ?", key_id)

    def _destroy(self, where: str, value: str) -> list[str]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            ids = [r[0] for r in db.execute(
                f"SELECT key_id FROM person_keys WHERE state != 'destroyed' AND {where}", (value,)
            )]
            db.executemany(
                "UPDATE person_keys SET state='destroyed', wrapped=NULL, is_primary=0, "
                "destroyed_at=? WHERE key_id=?",
                [(_now(), k) for k in ids],
            )
            db.executemany("INSERT INTO destroyed_log (key_id) VALUES (?)", [(k,) for k in ids])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if ids:
            # Old page images (with the wrapped key) live in the WAL until a checkpoint.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return ids

    def changes_since_last_poll(self) -> tuple[list[str], bool]:
        """(key ids destroyed, whether primaries changed) since the previous call; cheap."""
        db = self._db()
        # data_version is per connection, hence remembered per thread.
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version == getattr(self._local, "version", None):
            return [], False
        self._local.version = version
        rows = db.execute(
            "SELECT seq, key_id FROM destroyed_log WHERE seq > ? ORDER BY seq", (self._seen_seq,)
        ).fetchall()
        if rows:
            self._seen_seq = rows[-1][0]
        epoch = self._meta(db, "epoch")
        moved = epoch != getattr(self._local, "epoch", epoch)
        self._local.epoch = epoch
        return [key_id for _, key_id in rows], moved

    # -- rotation, retirement, KEK re-wrap --
    def rotate(self, new_key: Callable[[str], bytes], new_key_id: Callable[[], str]) -> int:
        """A new primary version for every person with one, in one transaction; the count.

        The previous versions stay enabled (old ciphertexts still decrypt) until
        ``retire_unreferenced`` finds nothing left under them.
        """
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            self._check_kek(db)
            current = db.execute(
                "SELECT key_id, id_token, algorithm, version FROM person_keys "
                "WHERE state='enabled' AND is_primary=1"
            ).fetchall()
            created, wrap, rows = _now(), self._kms.wrap, []
            for _, token, algorithm, version in current:
                key_id = new_key_id()
                rows.append((key_id, token, algorithm, wrap(new_key(algorithm), key_id=key_id),
                             created, version + 1))
            db.executemany("UPDATE person_keys SET is_primary=0 WHERE key_id=?",
                           [(r[0],) for r in current])
            db.executemany(
                "INSERT INTO person_keys (key_id, id_token, algorithm, state, wrapped, "
                "created_at, version, is_primary) VALUES (?, ?, ?, 'enabled', ?, ?, ?, 1)",
                rows,
            )
            self._bump_epoch(db)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        log.info("rotated %d person keys", len(rows))
        return len(rows)

    def retire_unreferenced(self, referenced: set[str]) -> tuple[int, int]:
        """Disable old (non-primary) versions no ciphertext uses; (retired, still used)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            old = [r[0] for r in db.execute(
                "SELECT key_id FROM person_keys WHERE state='enabled' AND is_primary=0")]
            unused = [(k,) for k in old if k not in referenced]
            db.executemany("UPDATE person_keys SET state='disabled', retired_at=? "
                           "WHERE key_id=?", [(_now(), k) for (k,) in unused])
            if unused:
                self._bump_epoch(db)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(unused), len(old) - len(unused)

    def rewrap(self, kms: KeyEncryptionKey) -> int:
        """Re-wrap every live key under ``kms``'s current KEK, in one transaction; the count."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            target = kms.kek_id
            rows = db.execute(
                "SELECT key_id, wrapped FROM person_keys WHERE wrapped IS NOT NULL").fetchall()
            changed = [(kms.wrap(kms.unwrap(w, key_id=k), key_id=k), k)
                       for k, w in rows if wrapped_by(w) != target]
            db.executemany("UPDATE person_keys SET wrapped=? WHERE key_id=?", changed)
            db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('kek_id', ?)",
                       (target,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        # Old wrapped images stay in the WAL until a checkpoint (secure_delete zeroes pages).
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(changed)

    def wrapped_by_other(self, kek_id: str) -> int:
        """How many live keys are not wrapped by ``kek_id`` (0 before removing an old KEK)."""
        return sum(wrapped_by(w) != kek_id for (w,) in self._db().execute(
            "SELECT wrapped FROM person_keys WHERE wrapped IS NOT NULL"))

    # -- meta --
    @staticmethod
    def _meta(db: sqlite3.Connection, name: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def _bump_epoch(self, db: sqlite3.Connection) -> None:
        epoch = int(self._meta(db, "epoch") or 0) + 1
        db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('epoch', ?)", (str(epoch),))

    def _check_kek(self, db: sqlite3.Connection) -> None:
        """Inside a write transaction: the store's KEK must be one the KMS holds."""
        kek_id = self._meta(db, "kek_id")
        if kek_id is None:
            db.execute("INSERT INTO meta (name, value) VALUES ('kek_id', ?)", (self._kms.kek_id,))
            return
        check_kek(self._kms, kek_id, f"person-key store {self.path}")


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a store made before key versions up to date (idempotent, race-safe)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(person_keys)")}
    missing = [(n, ddl) for n, ddl in _VERSIONED if n not in have]
    if missing:
        conn.execute("BEGIN IMMEDIATE")
        try:
            have = {r[1] for r in conn.execute("PRAGMA table_info(person_keys)")}
            for name, ddl in missing:
                if name not in have:
                    conn.execute(f"ALTER TABLE person_keys ADD COLUMN {name} {ddl}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    conn.executescript(_INDEXES)
