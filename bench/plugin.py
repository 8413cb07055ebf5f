"""Benchmark: the plugin as a user gets it — its wheel, and the cost of importing it.

Builds the wheel of ``plugin/`` (pip, no dependencies), lists what it holds,
and times ``import rasa_hybrid.actions`` (what the action server imports from
``actions/llm_fallback.py``) in fresh interpreters, checking that no model
library came with it.

    python -m bench.plugin [--out bench/plugin.json] [--imports 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.stats import machine
from devtools.servers import PROJECT_ROOT

#: Files that would be model weights or other large binaries.
WEIGHT_SUFFIXES = (".onnx", ".gguf", ".safetensors", ".bin", ".pt", ".npz", ".h5")
#: Libraries that load or run a model: importing the action must load none.
MODEL_MODULES = ("torch", "transformers", "spacy", "onnxruntime", "tensorflow")
TARGET_IMPORT_S = 1.0
IMPORT_PROBE = (
    "import sys, time; t = time.perf_counter(); import rasa_hybrid.actions; "
    "print(time.perf_counter() - t); "
    f"print(','.join(m for m in {MODEL_MODULES!r} if m in sys.modules))"
)


def build_wheel(folder: Path) -> Path:
    """Builds the plugin's wheel into ``folder``; returns its path.

    From a copy of ``plugin/`` without build output: setuptools' ``build/``
    folder keeps files that the sources no longer have.
    """
    source = folder / "source"
    shutil.copytree(
        PROJECT_ROOT / "plugin",
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", ".*_cache"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", folder, "."],
        cwd=source,
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = folder.glob("rasa_hybrid-*.whl")
    return wheel


def wheel_contents(wheel: Path) -> dict[str, Any]:
    """Size, file count, the largest files and any that look like weights."""
    with zipfile.ZipFile(wheel) as archive:
        entries = [(i.filename, i.file_size) for i in archive.infolist()]
    largest = sorted(entries, key=lambda entry: -entry[1])[:5]
    return {
        "wheel": wheel.name,
        "wheel_bytes": wheel.stat().st_size,
        "files": len(entries),
        "unpacked_bytes": sum(size for _, size in entries),
        "largest": [{"file": name, "bytes": size} for name, size in largest],
        "weights": [name for name, _ in entries if name.endswith(WEIGHT_SUFFIXES)],
    }


def import_once() -> tuple[float, list[str]]:
    """Seconds to import the action in a new interpreter; model libraries it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return float(out[0]), [name for name in out[1].split(",") if name]


def measure(imports: int) -> dict[str, Any]:
    """The wheel's figures and the import's, as one JSON-ready dict."""
    with tempfile.TemporaryDirectory() as folder:
        contents = wheel_contents(build_wheel(Path(folder)))
    runs = [import_once() for _ in range(imports)]
    seconds = sorted(s for s, _ in runs)
    loaded = sorted({name for _, names in runs for name in names})
    median = statistics.median(seconds)
    return {
        "benchmark": "plugin",
        **contents,
        "import_runs": imports,
        "import_median_s": round(median, 3),
        "import_max_s": round(seconds[-1], 3),
        "model_modules_loaded": loaded,
        "target_import_s": TARGET_IMPORT_S,
        "target_met": median <= TARGET_IMPORT_S and not loaded,
        "machine": machine(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/plugin.json")
    parser.add_argument("--imports", type=int, default=7)
    args = parser.parse_args(argv)
    figures = measure(args.imports)
    Path(args.out).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    verdict = "met" if figures["target_met"] else "MISSED"
    print(
        f"wheel {figures['wheel']}: {figures['wheel_bytes'] / 1024:.0f} KiB, "
        f"{figures['files']} files, weights {figures['weights'] or 'none'}; "
        f"import rasa_hybrid.actions: median {figures['import_median_s']} s, "
        f"max {figures['import_max_s']} s over {args.imports}, model libraries "
        f"{figures['model_modules_loaded'] or 'none'} "
        f"(target <= {TARGET_IMPORT_S:.0f} s, none: {verdict}) -> {args.out}"
    )
    return 0 if not figures["weights"] and not figures["model_modules_loaded"] else 1


if __name__ == "__main__":
    sys.exit(main())
