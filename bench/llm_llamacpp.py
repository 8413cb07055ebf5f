"""The llama.cpp side of `make bench-llm`: the same GGUF, the same prompt tokens.

Runs in its own environment (.venv-bench, with llama-cpp-python), which has
neither torch nor the project's dependencies, so it only reads and writes
JSON:

    python -m bench.llm_llamacpp --gguf FILE --prompts IN.json --out OUT.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    """Generates exactly N new tokens per prompt and writes the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--prompts", required=True, help="JSON with token id lists")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args(argv)

    from llama_cpp import Llama  # only in .venv-bench

    with open(args.prompts, encoding="utf-8") as handle:
        spec = json.load(handle)
    model = Llama(
        model_path=args.gguf, n_ctx=2048, n_threads=args.threads, verbose=False
    )

    def generate(ids: list[int]) -> tuple[float, int]:
        # Greedy, and exactly N new tokens: the end-of-turn token does not
        # stop it (as min_new_tokens does on the transformers side).
        model.reset()
        started = time.perf_counter()
        produced = 0
        for _ in model.generate(ids, temp=0.0, top_k=1, repeat_penalty=1.0):
            produced += 1
            if produced == args.new_tokens:
                break
        return time.perf_counter() - started, produced

    for ids in spec["prompts"][: args.warmup]:
        generate(ids)
    runs = []
    for number, ids in enumerate(spec["prompts"], 1):
        seconds, tokens = generate(ids)
        runs.append({"seconds": seconds, "new_tokens": tokens})
        print(f"\r  llama.cpp {number}/{len(spec['prompts'])}", end="", file=sys.stderr)
    print(file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"runs": runs, "threads": args.threads}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
