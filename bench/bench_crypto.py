"""Field-encryption and tokenisation throughput: our API versus bare cryptography loops.

Each case runs our path and a bare loop over the same cryptography calls (same key,
random nonce, same associated-data strings) in the same process, interleaved, best of 3.
The ratio ours/bare says what the library costs per value (target ≥ 0.8).

    cd /work/main && PYTHONPATH=src .venv/bin/python bench/bench_crypto.py [n]
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared_exchange.config import Settings
from shared_exchange.identity import make_id
from shared_exchange.security import FieldEncryptor, Tokenizer, open_keyring

SCOPE = "police/2022-03"


def _best(fn: Callable[[], object], rounds: int) -> float:
    return min(_timed(fn) for _ in range(rounds))


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _bare_aes(key: bytes, values: list[str], aads: list[str]) -> list[bytes]:
    aead, urandom = AESGCM(key), os.urandom
    out = []
    for v, a in zip(values, aads, strict=True):
        nonce = urandom(12)
        out.append(nonce + aead.encrypt(nonce, v.encode(), a.encode()))
    return out


def _bare_sm4(key: bytes, values: list[str], aads: list[str]) -> list[bytes]:
    sm4, urandom = algorithms.SM4(key), os.urandom
    out = []
    for v, a in zip(values, aads, strict=True):
        nonce = urandom(12)
        enc = Cipher(sm4, modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(a.encode())
        body = enc.update(v.encode()) + enc.finalize()
        out.append(nonce + body + enc.tag)
    return out


def _bare_person_aes(keys: dict[str, bytes], table: dict[str, tuple[list[str], list[str]]],
                     subjects: list[str]) -> dict[str, list[bytes]]:
    aeads = {s: AESGCM(k) for s, k in keys.items()}  # each person's cipher once per table
    row_aeads = [aeads[s] for s in subjects]
    urandom, out = os.urandom, {}
    for name, (values, aads) in table.items():
        column = out[name] = []
        for v, a, aead in zip(values, aads, row_aeads, strict=True):
            nonce = urandom(12)
            column.append(nonce + aead.encrypt(nonce, v.encode(), a.encode()))
    return out


def _bare_sha256(key: bytes, values: list[str]) -> list[str]:
    digest = hmac.digest
    return [digest(key, b"id\x00" + v.encode(), "sha256").hex() for v in values]


def _bare_sm3(key: bytes, values: list[str]) -> list[str]:
    out = []
    for v in values:
        mac = crypto_hmac.HMAC(key, hashes.SM3())
        mac.update(b"id\x00" + v.encode())
        out.append(mac.finalize().hex())
    return out


def run(n: int = 200_000, rounds: int = 3) -> dict[str, dict[str, float]]:
    """values/s for each case: {"case": {"ours", "bare", "ratio"}}."""
    born = dt.date(1960, 1, 1)
    values = [make_id("330106", born + dt.timedelta(days=i % 18000), i % 1000) for i in range(n)]
    aads = [f"police.suspects|id_number|police-20220301/suspects.csv/{i + 2}" for i in range(n)]
    # person keys: a table of n / 4 persons (one per row) with 4 protected columns, as
    # ingestion encrypts a table — both sides prepare each person's cipher once per table
    rows = n // 4
    subjects = [f"{i:064x}" for i in range(rows)]
    table = {c: (values[j * rows:(j + 1) * rows], aads[j * rows:(j + 1) * rows])
             for j, c in enumerate(("id_number", "name", "phone", "address"))}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as home:
        ring = open_keyring(Settings(home=Path(home)), cached=False)
        cases: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
        for cipher, bare in (("aes-256-gcm", _bare_aes), ("sm4-gcm", _bare_sm4)):
            enc = FieldEncryptor(ring, cipher)
            key = ring.data_key(ring.primary("field", SCOPE, algorithm=cipher).key_id)
            cases[f"encrypt {cipher}"] = (
                lambda enc=enc: enc.encrypt_many(values, aads, SCOPE),
                lambda key=key, bare=bare: bare(key, values, aads),
            )
        ids = ring.person_keys(subjects)  # creating person keys is one-off, not timed
        pkeys = {s: ring.data_key(k) for s, k in ids.items()}
        # a new encryptor per round: its cipher cache starts cold, as the baseline's dict does
        cases["encrypt aes-256-gcm with person keys"] = (
            lambda: FieldEncryptor(ring, "aes-256-gcm").encrypt_columns(table, SCOPE, subjects),
            lambda: _bare_person_aes(pkeys, table, subjects),
        )
        for mac, bare_tok in (("hmac-sha256", _bare_sha256), ("hmac-sm3", _bare_sm3)):
            tok = Tokenizer(ring, mac)
            cases[f"token {mac}"] = (
                lambda tok=tok: tok.token_many(values, "id"),
                lambda tok=tok, bare_tok=bare_tok: bare_tok(tok._key, values),
            )
        for name, (ours, bare) in cases.items():
            best_ours = best_bare = float("inf")
            for _ in range(rounds):  # interleaved so drift hits both alike
                best_bare = min(best_bare, _timed(bare))
                best_ours = min(best_ours, _timed(ours))
            results[name] = {"ours": n / best_ours, "bare": n / best_bare,
                             "ratio": best_bare / best_ours}
    return results


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    results = run(n)
    print(f"{'case (n=' + str(n) + ')':40} {'ours/s':>12} {'bare/s':>12} {'ratio':>7}")
    for name, r in results.items():
        print(f"{name:40} {r['ours']:12,.0f} {r['bare']:12,.0f} {r['ratio']:7.2f}")


if __name__ == "__main__":
    main()
