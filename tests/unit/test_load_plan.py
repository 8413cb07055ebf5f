import itertools
import random

import pytest

from bench.load_plan import SCRIPT, Turn, by_type, cycle_p50, poisson_arrivals, step


def test_poisson_arrivals_have_the_rate_and_stay_in_the_window():
    times = poisson_arrivals(20, 500, random.Random(1))
    assert times == sorted(times) and times[0] > 0 and times[-1] < 500
    assert 9_500 < len(times) < 10_500  # 20/s over 500 s, within ~3.5 sigma
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert abs(sum(gaps) / len(gaps) - 0.05) < 0.003
    assert poisson_arrivals(0, 10, random.Random(1)) == []


def test_the_script_cycles():
    assert step(1) == SCRIPT[0]
    assert step(len(SCRIPT)) == SCRIPT[-1]
    assert step(len(SCRIPT) + 1) == SCRIPT[0]
    assert {kind for kind, _ in SCRIPT} == {"rule", "form", "llm"}


def test_by_type_counts_errors_apart_from_latencies():
    turns = [
        Turn("rule", 1, 10.0, True),
        Turn("rule", 2, 30.0, True),
        Turn("rule", 3, 999.0, False),
        Turn("llm", 4, 5.0, False),
    ]
    figures = by_type(turns)
    assert figures["rule"]["n"] == 2 and figures["rule"]["errors"] == 1
    assert figures["rule"]["max_ms"] == 30.0
    assert figures["llm"] == {"n": 0, "errors": 1}


def test_cycle_p50_compares_whole_cycles():
    n = len(SCRIPT)
    turns = [Turn("rule", i, float(i), True) for i in range(1, 3 * n + 1)]
    assert cycle_p50(turns, 5) == cycle_p50(turns, 1)  # the same first cycle
    assert cycle_p50(turns, 3 * n) == float(2 * n + n // 2)
    with pytest.raises(ValueError):
        cycle_p50(turns, 10 * n)
