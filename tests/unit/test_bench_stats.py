import pytest

from bench.stats import percentile, summarize


def test_percentile_uses_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.95) == 7.0


def test_percentile_does_not_depend_on_order():
    assert percentile([5, 1, 4, 2, 3], 0.5) == 3


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_summarize_reports_the_figures_the_benchmark_writes():
    figures = summarize([10.0, 20.0, 30.0, 40.0])
    assert figures == {
        "n": 4,
        "p50_ms": 20.0,
        "p95_ms": 40.0,
        "p99_ms": 40.0,
        "mean_ms": 25.0,
        "max_ms": 40.0,
    }
