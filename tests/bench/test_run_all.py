"""The bench suite's arithmetic (always) and one tiny end-to-end run (opt-in, slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import suite

from shared_exchange.config import PROJECT_ROOT


def test_exponent_says_linear_sublinear_and_superlinear():
    assert suite.exponent(10.0, 100.0, 100_000, 1_000_000) == pytest.approx(1.0)
    assert suite.exponent(10.0, 10.0, 100_000, 1_000_000) == pytest.approx(0.0)
    assert suite.exponent(1.0, 100.0, 10, 100) == pytest.approx(2.0)
    assert suite.exponent(0.0, 5.0, 10, 100) is None


def test_growth_of_a_throughput_is_the_growth_of_its_time():
    rows = [{"area": "crypto", "name": "encrypt", "unit": "/s", "baseline_label": "bare",
             "measured_label": "ours", "baseline": 1000.0, "measured": 500.0, "ratio": 0.5}]
    slower = [{**rows[0], "baseline": 1000.0, "measured": 250.0}]
    g = suite.growth(rows, slower, 10, 100)["crypto: encrypt"]
    assert g["baseline_exponent"] == pytest.approx(1.0)  # same rate, 10× the work
    assert g["measured_exponent"] == pytest.approx(1.0 + 0.30103, abs=1e-4)  # rate halved


def test_each_area_reader_accepts_the_shape_its_module_returns():
    build = {"ingested_rows_last_day": 10, "full_build_s": 20.0, "incremental_build_s": 5.0,
             "ratio_incremental_to_full": 0.25}
    [m] = suite.metrics("build", build)
    assert (m.baseline, m.measured, m.ratio) == (20.0, 5.0, 0.25)
    gates = {"build_without_gates_s": 10.0, "gates_s": 5.0, "ratio_gated_to_ungated": 1.5}
    assert suite.metrics("gates", gates)[0].measured == 15.0
    with pytest.raises(KeyError):
        suite.metrics("build", {"full_build_s": 1.0})  # a changed shape is reported, not hidden


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SHARED_EXCHANGE_BENCH_SMOKE") != "1",
                    reason="opt-in: set SHARED_EXCHANGE_BENCH_SMOKE=1 (about 2-4 minutes)")
def test_run_all_smoke(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "run_all.py"), "--persons", "60",
         "--persons", "120", "--days", "2", "--areas", "crypto,build,gateway", "--out", str(out)],
        capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    for n in ("60", "120"):
        for area in ("crypto", "build", "gateway"):
            result = report["results"][n][area]
            assert result["status"] == "ok", result
            assert result["peak_rss_mb"] > 0 and result["metrics"]
    assert "build: dbt build s" in report["growth"]
    assert "ratio" in proc.stdout and "peak RSS" in proc.stdout


def test_a_disk_too_small_for_the_largest_size_stops_the_run_before_any_work(
        tmp_path, monkeypatch, capsys):
    import run_all

    gb = 10**9
    assert run_all.disk_shortfall(1_000_000, 120, 30 * gb, tmp_path) is None
    assert run_all.disk_shortfall(100_000, 120, 3 * gb, tmp_path) is None
    said = run_all.disk_shortfall(1_000_000, 120, 10 * gb, tmp_path)
    assert "need about 21 GB" in said and "10 GB are free" in said and str(tmp_path) in said
    assert run_all.disk_shortfall(1_000_000, 30, 10 * gb, tmp_path) is None  # 5 GB

    monkeypatch.setenv("SHARED_EXCHANGE_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(run_all.shutil, "disk_usage",
                        lambda path: SimpleNamespace(total=100 * gb, used=95 * gb, free=5 * gb))
    monkeypatch.setattr(run_all, "run_area", lambda *a, **k: pytest.fail("work started"))
    argv = ["run_all.py", "--persons", "1000000", "--days", "120", "--areas", "build",
            "--out", str(tmp_path / "run.json")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        run_all.main()
    assert stopped.value.code == 2
    assert "5 GB are free" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", [*argv[:-2], "--areas", "crypto", *argv[-2:]])
    with pytest.raises(pytest.fail.Exception, match="work started"):
        run_all.main()  # crypto makes no data: no check

