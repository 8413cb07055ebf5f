"""Benchmark: speed and quality of the local LLM, against llama.cpp, and end to end.

1. Loads the packaged SmolLM2 GGUF with transformers once, and for each
   engine (transformers' ``generate``, the lean decoder) and quantization
   mode generates exactly 64 new tokens for every prompt (the real system
   prompt plus a customer question): tokens per second, latency, and
   agreement with fp32 (teacher-forced top-1 tokens: the quality check).
2. Runs the same GGUF on the same prompt tokens through llama-cpp-python (in
   its own environment, `.venv-bench`) and reports the ratio.
3. Starts the real servers with the local provider and times open-ended turns
   over REST: what a customer waits for.

    python -m bench.llm --out bench/llm.json [--llamacpp-python .venv-bench/bin/python]
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from rasa_hybrid.llm.prompting import PromptTemplates
from rasa_hybrid.llm.settings import LLMSettings
from rasa_hybrid.providers.lean_llama import LeanLlama
from rasa_hybrid.providers.local_transformers import (
    REPETITION_PENALTY,
    load_fp32,
    packaged_gguf,
    stop_token_ids,
)
from rasa_hybrid.providers.quantize import MODES, quantize_model

from bench.stats import machine, summarize
from devtools.servers import Servers

NEW_TOKENS = 64
QUESTIONS = (
    "My new washing machine makes a loud noise when it spins. What should I do?",
    "How do I clean the filter of my dishwasher?",
    "My fridge is not cooling enough, what can I check?",
    "What does the warranty cover?",
    "Do you deliver on weekends?",
    "Why does my dryer take so long to dry clothes?",
    "Can I put cast iron pans in the dishwasher?",
    "The oven door glass is foggy inside, is that normal?",
    "How often should I descale my washer?",
    "Is it normal that a new oven smells the first time?",
)
TARGET_RATIO = 0.5
TARGET_TURN_P50_MS = 2000.0


def log(message: str, end: str = "\n") -> None:
    """Progress on stderr (the summary line goes to stdout)."""
    print(message, end=end, file=sys.stderr, flush=True)


def load_tokenizer(gguf: Path) -> Any:
    """The model's tokenizer alone (no weights, no torch computation)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)


def prompt_messages(question: str) -> list[dict[str, str]]:
    """The messages the plugin would send for this question (no history)."""
    templates = PromptTemplates.load(LLMSettings.from_env().prompts_dir)
    return [
        {"role": "system", "content": templates.render_system("product_question", {})},
        {"role": "user", "content": question},
    ]


class Runner:
    """One engine in one quantization mode: forced generation and all logits."""

    def __init__(self, engine: str, mode: str, model: Any, stop_ids: list[int]):
        self.engine, self.mode, self.stop_ids = engine, mode, stop_ids
        if engine == "lean":
            self.lean = LeanLlama(model, mode)
        else:
            self.model = quantize_model(copy.deepcopy(model), mode)

    def generate(self, ids: list[int]) -> list[int]:
        """Exactly NEW_TOKENS greedy tokens after ``ids``."""
        import torch

        if self.engine == "lean":
            return self.lean.generate(
                ids,
                NEW_TOKENS,
                stop_ids=self.stop_ids,
                repetition_penalty=REPETITION_PENALTY,
                min_new_tokens=NEW_TOKENS,
            )
        tensor = torch.tensor([ids])
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=tensor,
                attention_mask=torch.ones_like(tensor),
                max_new_tokens=NEW_TOKENS,
                min_new_tokens=NEW_TOKENS,
                do_sample=False,
                repetition_penalty=REPETITION_PENALTY,
            )
        return output[0, len(ids) :].tolist()

    def logits(self, ids: list[int]) -> Any:
        """The logits at every position of ``ids``."""
        import torch

        tensor = torch.tensor(ids)
        with torch.inference_mode():
            if self.engine == "lean":
                return self.lean.forward(tensor, self.lean.new_cache(len(ids)), 0, True)
            return self.model(input_ids=tensor.unsqueeze(0)).logits[0]


def measure(runner: Runner, prompts: list[list[int]], reference: Any) -> dict:
    """Times the forced generations; top-1 agreement with fp32 on ``reference``."""
    runner.generate(prompts[0][:32])  # warm-up
    seconds = []
    for number, ids in enumerate(prompts, 1):
        started = time.perf_counter()
        runner.generate(ids)
        seconds.append(time.perf_counter() - started)
        log(f"\r    prompt {number}/{len(prompts)}", end="")
    log("")
    figures = {
        "tokens_per_second": round(NEW_TOKENS * len(prompts) / sum(seconds), 1),
        **summarize([s * 1000 for s in seconds]),
    }
    if reference is not None:
        sequences, expected = reference
        predicted = top_tokens(runner, sequences, prompts)
        same = sum(
            a == b
            for mine, theirs in zip(predicted, expected, strict=True)
            for a, b in zip(mine, theirs, strict=True)
        )
        figures["agreement_with_fp32"] = round(same / sum(map(len, expected)), 4)
    return figures


def top_tokens(
    runner: Runner, sequences: list[list[int]], prompts: list[list[int]]
) -> list[list[int]]:
    """The runner's most likely next token at each generated position.

    Teacher-forced on the same sequences (prompt plus fp32's continuation),
    so every position is compared on the same context.
    """
    tops = []
    for sequence, prompt in zip(sequences, prompts, strict=True):
        logits = runner.logits(sequence)
        tops.append(logits[len(prompt) - 1 : len(sequence) - 1].argmax(-1).tolist())
    return tops


def run_llamacpp(python: str, gguf: Path, prompts: list[list[int]]) -> dict | None:
    """Runs bench.llm_llamacpp in the benchmark environment; None if unavailable."""
    if not Path(python).exists():
        log(f"  llama.cpp skipped: {python} not found (make bench-llm installs it)")
        return None
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "prompts.json"
        out = Path(folder) / "out.json"
        spec.write_text(json.dumps({"prompts": prompts}))
        subprocess.run(
            [
                *(python, "-m", "bench.llm_llamacpp", "--gguf", str(gguf)),
                *("--prompts", str(spec), "--out", str(out), "--threads", "2"),
            ],
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        runs = json.loads(out.read_text())["runs"]
    tokens = sum(run["new_tokens"] for run in runs)
    return {
        "tokens_per_second": round(tokens / sum(run["seconds"] for run in runs), 1),
        "new_tokens_per_prompt": sorted({run["new_tokens"] for run in runs}),
        **summarize([run["seconds"] * 1000 for run in runs]),
    }


def end_to_end(turns: int) -> dict:
    """Open-ended turns over REST against `make serve` with the local model."""
    domain_fallback = "Sorry, I can't answer that one right now."
    env = {"LLM_PROVIDER": "local", "LLM_PRELOAD": "1"}
    log("  starting the servers with the local model (make serve)...")
    with Servers(env=env) as servers:
        servers.wait_for_log("Local model ready", timeout=300)
        latencies, answered = [], 0
        with requests.Session() as session:

            def ask(question: str) -> tuple[float, list]:
                started = time.perf_counter()
                reply = session.post(
                    servers.rest_url,
                    json={"sender": f"bench-{uuid.uuid4().hex}", "message": question},
                    timeout=60,
                )
                return (time.perf_counter() - started) * 1000, reply.json()

            ask(QUESTIONS[0])  # warm-up
            for number in range(turns):
                ms, replies = ask(QUESTIONS[number % len(QUESTIONS)])
                latencies.append(ms)
                texts = [reply.get("text") or "" for reply in replies]
                answered += bool(texts) and not texts[0].startswith(domain_fallback)
                log(f"\r    turn {number + 1}/{turns}", end="")
        log("")
    return {"turns": turns, "answered_by_model": answered, **summarize(latencies)}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/llm.json")
    parser.add_argument("--llamacpp-python", default=".venv-bench/bin/python")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--turns", type=int, default=20, help="0: no servers")
    parser.add_argument("--prompts", type=int, default=len(QUESTIONS))
    args = parser.parse_args(argv)
    import torch

    settings = LLMSettings.from_env()
    gguf = packaged_gguf()
    tokenizer = load_tokenizer(gguf)
    stop_ids = list(stop_token_ids(tokenizer))
    prompts = [
        tokenizer.apply_chat_template(
            prompt_messages(q),
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
        )["input_ids"]
        for q in QUESTIONS[: args.prompts]
    ]
    # llama.cpp first, while this process has not run torch yet: torch's idle
    # worker threads would otherwise take CPU from it.
    log("  llama.cpp (same GGUF, same prompt tokens):")
    llama = run_llamacpp(args.llamacpp_python, gguf, prompts)
    log(f"Loading {gguf.name} (fp32)...")
    _, model = load_fp32(gguf, settings.local_threads)
    modes = [m for m in args.modes.split(",") if m]
    results: dict[str, dict] = {}
    log("  reference: transformers fp32 continuations and next-token choices")
    fp32 = Runner("transformers", "none", model, stop_ids)
    sequences = [ids + fp32.generate(ids) for ids in prompts]
    reference = (sequences, top_tokens(fp32, sequences, prompts))
    for engine in ("transformers", "lean"):
        for mode in ["none", *[m for m in modes if m != "none"]]:
            log(f"  {engine}, {mode}:")
            runner = Runner(engine, mode, model, stop_ids)
            results[f"{engine}/{mode}"] = measure(runner, prompts, reference)
    default = f"{settings.local_engine}/{settings.local_quantize}"
    local = results[default]
    ratio = (
        round(local["tokens_per_second"] / llama["tokens_per_second"], 3)
        if llama
        else None
    )
    e2e = end_to_end(args.turns) if args.turns else None
    figures = {
        "benchmark": "llm",
        "model": gguf.name,
        "new_tokens": NEW_TOKENS,
        "prompts": len(prompts),
        "prompt_tokens_mean": round(sum(map(len, prompts)) / len(prompts), 1),
        "local_mode": default,
        "local": local,
        "by_engine_and_mode": results,
        "llama_cpp": llama,
        "ratio_local_to_llama_cpp": ratio,
        "end_to_end_turn": e2e,
        "targets": {
            "ratio_at_least": TARGET_RATIO,
            "turn_p50_ms_at_most": TARGET_TURN_P50_MS,
            "ratio_met": ratio is not None and ratio >= TARGET_RATIO,
            "turn_p50_met": bool(e2e) and e2e["p50_ms"] <= TARGET_TURN_P50_MS,
        },
        "machine": {
            **machine(),
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
        },
    }
    Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")
    modes_line = ", ".join(
        f"{m} {r['tokens_per_second']} tok/s (agree {r['agreement_with_fp32']:.0%})"
        for m, r in results.items()
    )
    print(
        f"llm: local {default} {local['tokens_per_second']} tok/s vs llama.cpp "
        f"{llama and llama['tokens_per_second']} tok/s = {ratio}x "
        f"(target >= {TARGET_RATIO}); turn p50 {e2e and e2e['p50_ms']} ms, "
        f"p95 {e2e and e2e['p95_ms']} ms (target p50 <= {TARGET_TURN_P50_MS:.0f}); "
        f"modes: {modes_line} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
