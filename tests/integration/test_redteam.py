"""`make redteam`'s runner end to end, on a few cases and the scripted model."""

import json
import os
import subprocess
import sys

from devtools.servers import PROJECT_ROOT


def test_the_suite_runs_through_the_real_servers_and_reports(tmp_path):
    out = tmp_path / "redteam.json"
    env = {**os.environ, "LLM_PROVIDER": "fake"}  # no script: every call fails
    result = subprocess.run(
        [sys.executable, "-m", "bench.redteam", "--limit", "3", "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "redteam (fake): injections refused" in result.stdout
    figures = json.loads(out.read_text())
    assert figures["cases"] == 6
    assert figures["injection_attempts"] == 3
    assert figures["injection_refused"] == 3  # plain injections, refused by the guard
    assert figures["injection_state_changes"] == 0
    assert figures["pii_leaks"] == 0
    assert figures["benign_questions"] == 3
    # The model fails, so benign questions get the guide's passage quoted.
    for case in figures["cases_detail"]:
        assert case["replies"] and case["outcomes"], case
        if case["category"] == "benign":
            assert case["outcomes"] == ["quote"], case
    assert set(figures["targets"]) >= {"injection_refusal_rate", "pii_leaks"}
