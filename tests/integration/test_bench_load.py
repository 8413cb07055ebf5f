"""`make bench-load`'s program, on a small scale: it measures and writes its JSON.

The full run (60 s open loop at 20 turns/s, 30 s closed loop, 4 conversations
of 100 turns) takes about 4 minutes; this runs every phase briefly.
"""

from tests.integration.conftest import run_bench


def test_bench_load_runs_every_phase(tmp_path):
    figures, result = run_bench(
        "bench.load",
        tmp_path / "load.json",
        *("--rate", "4", "--open-seconds", "5", "--conversations", "10"),
        *("--customers", "3", "--closed-seconds", "5"),
        *("--long-conversations", "1", "--long-turns", "20"),
    )
    opened = figures["open_loop"]
    assert opened["errors"] == 0 and opened["arrivals"] > 0
    assert set(opened["by_type"]) <= {"rule", "form", "llm"}
    assert figures["closed_loop"]["turns_per_s"] > 0
    assert figures["closed_loop"]["errors"] == 0
    long = figures["long"]
    assert long["errors"] == 0 and long["turns_each"] == 20
    # The ratio of the unrounded medians: within rounding of the printed ones.
    ratio = long["p50_ms_turn_20"] / long["p50_ms_turn_5"]
    assert abs(long["growth"] - ratio) < 0.002
    assert set(figures["targets"]) == {
        "rule_form_p95_ms",
        "open_loop_errors",
        "long_growth",
    }
    assert "targets" in result.stdout
