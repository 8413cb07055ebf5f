"""`make bench-llm`'s program, on a small scale: it measures and writes its JSON.

The full run (llama.cpp built from source, 10 prompts per engine and mode,
20 turns through the servers) takes ~10 minutes; this runs its parts on one
prompt without llama.cpp and without servers (the servers' LLM turns are
tested in test_llm_over_rest.py).
"""

from tests.integration.conftest import run_bench


def test_bench_llm_measures_engines_and_modes(tmp_path):
    figures, result = run_bench(
        "bench.llm",
        tmp_path / "llm.json",
        *("--modes", "none,int8", "--prompts", "1", "--turns", "0"),
        *("--llamacpp-python", str(tmp_path / "missing-python")),
    )
    assert "llama.cpp skipped" in result.stderr
    assert figures["local_mode"] == "lean/int8"
    assert set(figures["by_engine_and_mode"]) == {
        "transformers/none",
        "transformers/int8",
        "lean/none",
        "lean/int8",
    }
    assert figures["by_engine_and_mode"]["lean/none"]["agreement_with_fp32"] >= 0.99
    assert figures["local"]["tokens_per_second"] > 0
    assert figures["llama_cpp"] is None and figures["ratio_local_to_llama_cpp"] is None
    assert "lean/int8" in result.stdout
