"""Join tokens: keyed, domain-separated by kind, stable across reloads and processes."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_exchange.config import Settings
from shared_exchange.identity import make_id, normalise_id
from shared_exchange.security import (
    MAC_NAMES,
    TOKEN_KINDS,
    KeyringError,
    Tokenizer,
    open_keyring,
)

HYP = settings(max_examples=80, deadline=None)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("tokens-home")


@pytest.fixture(scope="module", params=MAC_NAMES)
def tokenizer(request, home):
    return Tokenizer(open_keyring(Settings(home=home), cached=False), request.param)


def _an_id() -> str:
    return make_id("330102", dt.date(1979, 3, 8), 417)


def test_token_shape_and_keyed(tokenizer):
    value = _an_id()
    tok = tokenizer.token(value, "id")
    assert len(tok) == 64 and int(tok, 16) >= 0
    assert tok != hashlib.sha256(value.encode()).hexdigest()
    assert tok != hashlib.sha256(b"id\x00" + value.encode()).hexdigest()


@HYP
@given(value=st.text(min_size=1))
def test_kinds_are_domain_separated(tokenizer, value):
    tokens = {tokenizer.token(value, kind) for kind in TOKEN_KINDS}
    assert len(tokens) == len(TOKEN_KINDS)


@HYP
@given(a=st.text(min_size=1, max_size=30), b=st.text(min_size=1, max_size=30))
def test_equal_values_equal_tokens(tokenizer, a, b):
    assert (tokenizer.token(a, "name") == tokenizer.token(b, "name")) == (a == b)


def test_stable_across_keyring_loads(home):
    value = _an_id()
    for mac in MAC_NAMES:
        first = Tokenizer(open_keyring(Settings(home=home), cached=False), mac).token(value, "id")
        again = Tokenizer(open_keyring(Settings(home=home), cached=False), mac).token(value, "id")
        assert first == again


def test_stable_across_processes(home):
    value = _an_id()
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from shared_exchange.config import Settings
        from shared_exchange.security import Tokenizer, open_keyring
        ring = open_keyring(Settings(home=Path({str(home)!r})))
        print(Tokenizer(ring, {MAC_NAMES[0]!r}).token({value!r}, "id"))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    here = Tokenizer(open_keyring(Settings(home=home), cached=False), MAC_NAMES[0])
    assert out.stdout.strip() == here.token(value, "id")


def test_normalised_forms_share_a_token(tokenizer):
    full = _an_id()
    legacy = full[:6] + full[8:17]
    tokens = {tokenizer.token(normalise_id(v).normalised, "id") for v in (full, legacy,
                                                                          f" {full.lower()} ")}
    assert len(tokens) == 1


def test_other_deployment_other_tokens(tmp_path, home):
    value = _an_id()
    ours = Tokenizer(open_keyring(Settings(home=home), cached=False)).token(value, "id")
    theirs = Tokenizer(open_keyring(Settings(home=tmp_path), cached=False)).token(value, "id")
    assert ours != theirs


def test_macs_differ(home):
    ring = open_keyring(Settings(home=home), cached=False)
    sha, sm3 = Tokenizer(ring, "hmac-sha256"), Tokenizer(ring, "hmac-sm3")
    assert sha.token("v", "id") != sm3.token("v", "id")


def test_token_many_matches_token(tokenizer):
    values = ["一", None, "", "二"]
    assert tokenizer.token_many(values, "name") == [
        tokenizer.token("一", "name"), None, None, tokenizer.token("二", "name")]


def test_bad_kind_and_empty_value(tokenizer):
    with pytest.raises(ValueError):
        tokenizer.token("v", "ID\x00")
    with pytest.raises(ValueError):
        tokenizer.token("", "id")


def test_field_rotation_keeps_tokens(home):
    ring = open_keyring(Settings(home=home), cached=False)
    before = Tokenizer(ring).token("v", "phone")
    ring.rotate("field")
    assert Tokenizer(open_keyring(Settings(home=home), cached=False)).token("v", "phone") == before
    ring.rotate("token")  # deliberate re-tokenisation: every token changes
    assert Tokenizer(ring).token("v", "phone") != before


def test_destroyed_token_key_is_not_replaced_silently(tmp_path):
    ring = open_keyring(Settings(home=tmp_path), cached=False)
    tok = Tokenizer(ring)
    ring.destroy(tok.key_id)
    with pytest.raises(KeyringError, match="breaks joins"):
        Tokenizer(ring)
    ring.rotate("token")  # the deliberate way
    assert Tokenizer(ring).key_id != tok.key_id
