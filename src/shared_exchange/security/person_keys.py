"""Per-person data keys in SQLite (``keys/person_keys.sqlite``): the basis of crypto-shredding.

Each person (by ID token) gets a wrapped data key; destroying it erases every value that
was encrypted for that person, wherever copies of the ciphertext live. Several ingestion
processes create keys at once, so creation is INSERT OR IGNORE followed by a re-read: all
processes end up using the one row that won.
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

from shared_exchange.security.kms import KeyEncryptionKey, check_private_file

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
CREATE UNIQUE INDEX IF NOT EXISTS person_keys_live
    ON person_keys (id_token, algorithm) WHERE state = 'enabled';
CREATE TABLE IF NOT EXISTS destroyed_log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT NOT NULL
);
"""
_CHUNK = 500  # stays under SQLite's host-parameter limit


@dataclass(frozen=True)
class PersonKeyRow:
    key_id: str
    id_token: str
    algorithm: str
    state: str
    wrapped: bytes | None


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
            self._local.conn, self._local.pid = conn, os.getpid()
            if self._seen_seq < 0:
                self._seen_seq = conn.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM destroyed_log"
                ).fetchone()[0]
        return conn

    # -- reads --
    def lookup(self, key_id: str) -> PersonKeyRow | None:
        row = self._db().execute(
            "SELECT key_id, id_token, algorithm, state, wrapped FROM person_keys WHERE key_id=?",
            (key_id,),
        ).fetchone()
        return PersonKeyRow(*row) if row else None

    def lookup_many(self, key_ids: list[str]) -> list[PersonKeyRow]:
        rows: list[PersonKeyRow] = []
        db = self._db()
        for i in range(0, len(key_ids), _CHUNK):
            chunk = key_ids[i : i + _CHUNK]
            rows.extend(PersonKeyRow(*r) for r in db.execute(
                "SELECT key_id, id_token, algorithm, state, wrapped FROM person_keys "
                f"WHERE key_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ))
        return rows

    def live_keys(self, tokens: list[str], algorithm: str) -> dict[str, tuple[str, bytes]]:
        """token → (key_id, wrapped) for the enabled keys of these tokens."""
        found: dict[str, tuple[str, bytes]] = {}
        db = self._db()
        for i in range(0, len(tokens), _CHUNK):
            chunk = tokens[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                "SELECT id_token, key_id, wrapped FROM person_keys WHERE state='enabled' "
                f"AND algorithm=? AND id_token IN ({marks})",
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
        rows = []
        for token in missing:
            key_id, key = new_key_id(), new_key()
            if generated is not None:
                generated[key_id] = key
            rows.append((key_id, token, algorithm, self._kms.wrap(key, key_id=key_id), created))
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT OR IGNORE INTO person_keys (key_id, id_token, algorithm, state, "
                "wrapped, created_at) VALUES (?, ?, ?, 'enabled', ?, ?)",
                rows,
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
                "UPDATE person_keys SET state='destroyed', wrapped=NULL, destroyed_at=? "
                "WHERE key_id=?",
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

    def destroyed_since_last_poll(self) -> list[str]:
        """Key ids other processes destroyed since the previous call (cheap when none)."""
        db = self._db()
        # data_version is per connection, hence remembered per thread.
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version == getattr(self._local, "version", None):
            return []
        self._local.version = version
        rows = db.execute(
            "SELECT seq, key_id FROM destroyed_log WHERE seq > ? ORDER BY seq", (self._seen_seq,)
        ).fetchall()
        if rows:
            self._seen_seq = rows[-1][0]
        return [key_id for _, key_id in rows]
