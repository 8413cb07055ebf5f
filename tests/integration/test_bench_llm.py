"""`make bench-llm`'s program, on a small scale: it measures and writes its JSON.

The full run (llama.cpp built from source, 10 prompts per engine and mode,
20 turns through the servers) takes ~10 minutes; this runs its parts on two
prompts without llama.cpp and without servers (the servers' LLM turns are
tested in test_llm_over_rest.py).
"""

import json
import subprocess
import sys

from devtools.servers import PROJECT_ROOT


def test_bench_llm_measures_engines_and_modes(tmp_path):
    out = tmp_path / "llm.json"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "bench.llm", "--out", str(out)),
            *("--modes", "none,int8", "--prompts", "2", "--turns", "0"),
            *("--llamacpp-python", str(tmp_path / "missing-python")),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "llama.cpp skipped" in result.stderr
    figures = json.loads(out.read_text())
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
