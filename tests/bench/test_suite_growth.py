"""Growth rows are keyed per metric: two crypto cases never share a row."""

from __future__ import annotations

import suite  # from bench/ (tests/bench/conftest.py)


def _rows(speed: float) -> list[dict]:
    raw = {"encrypt aes-256-gcm": {"ours": speed, "bare": speed, "ratio": 1.0},
           "encrypt aes-256-gcm with person keys": {"ours": speed / 2, "bare": speed,
                                                    "ratio": 0.5}}
    return [m.as_dict() for m in suite.metrics("crypto", raw)]


def test_each_crypto_case_has_its_own_growth():
    # 10× the values at the same speed: linear (b 1) for both, each under its own key
    growth = suite.growth(_rows(1000.0), _rows(1000.0), 100_000, 1_000_000)
    assert set(growth) == {"crypto: encrypt aes-256-gcm",
                           "crypto: encrypt aes-256-gcm with person keys"}
    assert all(abs(g["measured_exponent"] - 1.0) < 1e-9 for g in growth.values())
