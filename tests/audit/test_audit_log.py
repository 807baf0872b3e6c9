"""The audit log: appends, concurrency, each kind of tampering, heads, and refusing PII."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import random
import shutil

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from shared_exchange.audit import (
    AuditLog,
    AuditLogError,
    AuditPIIError,
    AuditVerificationError,
    merkle,
    publish_head,
    record_event,
    verify,
)
from shared_exchange.audit.log import canonical
from shared_exchange.config import load_settings
from shared_exchange.identity import make_id


def _fingerprint(i: int) -> str:
    return hashlib.sha256(f"select {i}".encode()).hexdigest()


def _fill(settings, n: int) -> list[str]:
    return [
        record_event(settings, "query.allowed", actor=f"analyst{i % 3}", role="analyst",
                     decision="allowed", purpose="scoreboard",
                     statement_fingerprint=_fingerprint(i),
                     datasets=["marts.scoreboard_daily"], columns=["city", "rate"], masked=True,
                     rows_returned=i, policy_version="roles.v1")
        for i in range(n)
    ]


def _lines(settings) -> list[bytes]:
    return (settings.audit / "audit.log").read_bytes().splitlines(keepends=True)


def _write(settings, lines: list[bytes]) -> None:
    (settings.audit / "audit.log").write_bytes(b"".join(lines))


def _kinds(result) -> set[str]:
    return {p.kind for p in result.problems}


def _rehash(event: dict) -> bytes:
    """What a forger with the code (but not the published head) would write."""
    event = {k: v for k, v in event.items() if k != "hash"}
    event["hash"] = merkle.leaf_hash(canonical(event)).hex()
    return canonical(event) + b"\n"


def _rechain(lines: list[bytes]) -> list[bytes]:
    out, prev = [], "0" * 64
    for seq, line in enumerate(lines, start=1):
        event = json.loads(line)
        event.update(seq=seq, prev=prev)
        new = _rehash(event)
        prev = json.loads(new)["hash"]
        out.append(new)
    return out


# -- appending --

def test_append_returns_leaf_hash_and_chains(home):
    hashes = _fill(home, 5)
    events = list(AuditLog(home).events())
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["hash"] for e in events] == hashes
    assert events[0]["prev"] == "0" * 64
    assert all(b["prev"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    first = events[0]
    for field in ("time", "actor", "role", "purpose", "approver", "statement_fingerprint",
                  "datasets", "columns", "masked", "rows_returned", "decision", "reason",
                  "policy_version", "type"):
        assert field in first
    assert dt.datetime.fromisoformat(first["time"]).tzinfo is not None
    assert _lines(home)[0] == canonical(first) + b"\n"
    assert verify(home).ok


def test_log_file_is_private(home):
    _fill(home, 1)
    assert (home.audit / "audit.log").stat().st_mode & 0o077 == 0


def test_caller_cannot_set_chain_fields(home):
    with pytest.raises(ValueError, match="set by the log"):
        record_event(home, "query.allowed", actor="a", role="analyst", decision="allowed",
                     seq=99)
    with pytest.raises(ValueError, match="actor, role and decision"):
        record_event(home, "query.allowed", actor="", role="analyst", decision="allowed")


def _worker(args: tuple[str, int, int]) -> int:
    home, worker, count = args
    settings = load_settings(home)
    for i in range(count):
        record_event(settings, "pipeline.published", actor=f"dag-{worker}", role="pipeline",
                     decision="published", reason=f"batch {i}")
    return count


def test_concurrent_appends_from_processes_keep_one_chain(home):
    home.audit.mkdir(parents=True)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        written = sum(pool.map(_worker, [(str(home.home), w, 25) for w in range(4)]))
    result = verify(home)
    assert written == 100
    assert result.ok, result.problems
    assert result.tree_size == 100
    events = list(AuditLog(home).events())
    assert [e["seq"] for e in events] == list(range(1, 101))
    assert {e["actor"] for e in events} == {f"dag-{w}" for w in range(4)}


def test_torn_last_line_blocks_appends(home):
    _fill(home, 2)
    with (home.audit / "audit.log").open("ab") as fh:
        fh.write(b'{"seq":3,"ti')
    with pytest.raises(AuditLogError, match="incomplete"):
        _fill(home, 1)
    assert "unreadable" in _kinds(verify(home))


# -- tampering, one kind at a time --

def test_edited_event_is_detected(home):
    _fill(home, 6)
    lines = _lines(home)
    lines[2] = lines[2].replace(b'"decision":"allowed"', b'"decision":"denied"')
    _write(home, lines)
    result = verify(home)
    assert not result.ok
    assert [(p.kind, p.line) for p in result.problems] == [("edited", 3)]
    with pytest.raises(AuditVerificationError, match="edited at line 3"):
        result.raise_for_problems()


def test_edited_and_rehashed_event_breaks_the_chain(home):
    _fill(home, 6)
    lines = _lines(home)
    event = json.loads(lines[2])
    event["rows_returned"] = 0
    lines[2] = _rehash(event)
    _write(home, lines)
    result = verify(home)
    assert ("chain_broken", 4) in {(p.kind, p.line) for p in result.problems}


def test_deleted_event_is_detected(home):
    _fill(home, 6)
    lines = _lines(home)
    del lines[3]
    _write(home, lines)
    assert {"chain_broken", "sequence"} <= _kinds(verify(home))


def test_inserted_event_is_detected(home):
    _fill(home, 6)
    lines = _lines(home)
    forged = json.loads(lines[2])
    forged.update(actor="intruder", seq=4, prev=forged["hash"])
    lines.insert(3, _rehash(forged))
    _write(home, lines)
    result = verify(home)
    assert {"chain_broken", "sequence"} <= _kinds(result)
    assert min(p.line for p in result.problems if p.line) == 5


def test_reordered_events_are_detected(home):
    _fill(home, 6)
    lines = _lines(home)
    lines[1], lines[4] = lines[4], lines[1]
    _write(home, lines)
    result = verify(home)
    assert {"chain_broken", "sequence"} <= _kinds(result)
    assert {2, 5} <= {p.line for p in result.problems}


def test_non_canonical_rewrite_is_detected(home):
    _fill(home, 3)
    lines = _lines(home)
    lines[1] = json.dumps(json.loads(lines[1]), indent=None).encode() + b"\n"
    _write(home, lines)
    assert _kinds(verify(home)) == {"non_canonical"}


def test_consistent_forgery_is_caught_only_by_an_earlier_head(home):
    """A forger who edits, deletes and re-chains everything passes the line checks."""
    _fill(home, 8)
    publish_head(home)
    lines = [json.loads(x) for x in _lines(home)]
    lines[1]["actor"] = "someone_else"
    del lines[5]
    lines.append({**lines[-1], "actor": "padding"})  # keep the count the head covered
    _write(home, _rechain([canonical(e) for e in lines]))
    shutil.copytree(home.audit / "heads", home.home / "saved-heads")
    shutil.rmtree(home.audit / "heads")
    assert verify(home).ok, "the re-chained log is internally consistent"
    saved = next((home.home / "saved-heads").glob("*.json"))
    assert [p.kind for p in verify(home, against_head=saved).problems] == ["head_mismatch"]


def test_truncation_against_an_earlier_head(home, tmp_path):
    _fill(home, 10)
    head = publish_head(home)
    kept = tmp_path / "head-from-report.json"
    shutil.copy(head.path, kept)
    _fill(home, 2)
    assert verify(home).ok and verify(home, against_head=kept).ok
    _write(home, _lines(home)[:7])  # rollback: every remaining line still chains
    shutil.rmtree(home.audit / "heads")  # the attacker also removes local heads
    assert verify(home).ok, "without a head, a clean truncation cannot be seen"
    result = verify(home, against_head=kept)
    assert [p.kind for p in result.problems] == ["truncated"]
    assert "covered 10" in result.problems[0].detail


def test_log_grown_after_head_is_consistent_with_proof(home):
    _fill(home, 5)
    old = publish_head(home)
    _fill(home, 6)
    result = verify(home, against_head=old.path)
    assert result.ok
    check = result.heads[0]
    assert check.consistency_proof
    leaves = AuditLog(home).leaf_hashes()
    assert merkle.verify_consistency(
        5, 11, bytes.fromhex(old.root), merkle.root(leaves),
        [bytes.fromhex(p) for p in check.consistency_proof])


# -- no clear PII in events --

def _generated_id(rng: random.Random) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))
    return make_id(f"33{rng.randrange(100):02d}{rng.randrange(1, 30):02d}", born,
                   rng.randrange(1000))


def _generated_phone(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


@pytest.mark.parametrize("where", ["reason", "purpose", "columns", "nested"])
def test_refuses_values_that_look_like_clear_ids(home, where):
    _fill(home, 1)
    before = _lines(home)
    clear = _generated_id(random.Random(where))
    fields = {"reason": {"reason": f"WHERE id_number = '{clear}'"},
              "purpose": {"purpose": f"check {clear}"},
              "columns": {"columns": ["city", clear]},
              "nested": {"detail": {"filter": [clear]}}}[where]
    with pytest.raises(AuditPIIError) as err:
        record_event(home, "query.denied", actor="a1", role="analyst", decision="denied",
                     **fields)
    assert clear not in str(err.value) and "id_number" in str(err.value)
    assert _lines(home) == before


def test_refuses_phones_and_full_width_ids(home):
    rng = random.Random(7)
    phone = _generated_phone(rng)
    with pytest.raises(AuditPIIError, match="phone"):
        record_event(home, "unmask", actor="o1", role="case_officer", decision="granted",
                     reason=f"tel {phone}")
    wide = _generated_id(rng).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    with pytest.raises(AuditPIIError):
        record_event(home, "unmask", actor="o1", role="case_officer", decision="granted",
                     approver=wide)
    assert not (home.audit / "audit.log").exists() or not _lines(home)


@hsettings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=64))
def test_fingerprints_and_tokens_are_never_refused(payload):
    digest = hashlib.sha256(payload).hexdigest()
    from shared_exchange.reports.leak_patterns import pii_kind_in

    assert pii_kind_in(digest) is None
    assert pii_kind_in(f"fp={digest[:40]}") is None
    assert pii_kind_in(f"v1+sha256:{digest[:16]}") is None  # policy versions
    assert pii_kind_in(f"k{digest[:20]}") is None  # key ids


# -- RFC 6962 primitives --

@hsettings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_merkle_proofs_hold_and_detect_change(n, data):
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    m = data.draw(st.integers(min_value=1, max_value=n))
    proof = merkle.consistency_proof(m, leaves)
    old, new = merkle.root(leaves[:m]), merkle.root(leaves)
    assert merkle.verify_consistency(m, n, old, new, proof)
    if m < n:
        wrong = merkle.root([*leaves[: m - 1], merkle.leaf_hash(b"forged")])
        assert not merkle.verify_consistency(m, n, wrong, new, proof)
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    assert merkle.verify_inclusion(i, n, leaves[i], merkle.inclusion_proof(i, leaves), new)
    assert not merkle.verify_inclusion(i, n, merkle.leaf_hash(b"x"),
                                       merkle.inclusion_proof(i, leaves), new)


def test_merkle_root_matches_rfc6962_recursive_definition():
    def mth(d: list[bytes]) -> bytes:
        if len(d) == 1:
            return merkle.leaf_hash(d[0])
        k = 1 << ((len(d) - 1).bit_length() - 1)
        return merkle.node_hash(mth(d[:k]), mth(d[k:]))

    for n in range(1, 33):
        data = [bytes([i]) for i in range(n)]
        assert merkle.root([merkle.leaf_hash(x) for x in data]) == mth(data)
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(32)]
    prefixes = merkle.prefix_roots(leaves, range(1, 33))
    assert all(prefixes[m] == mth([bytes([i]) for i in range(m)]) for m in range(1, 33))
    assert merkle.root([]) == hashlib.sha256(b"").digest()
