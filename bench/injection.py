"""Benchmark: the 32 injection paraphrases (tests/fixtures/injection/) against the embedded model.

For each paraphrase and place (body, title line, after the att-sats, inside the att-sats) the motion
is read and the standpoint question the pipeline would put to the model is built. When it is
identical to the clean motion's question, the injection never reached the model (counted, no model
call needed); otherwise the local model answers it and the standpoint is compared with the clean
motion's. Needs the default index (`remiss index build`); starts the local llama.cpp server.

    python bench/injection.py [--out bench/results/injection.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from injection_cases import POSITIONS, load_paraphrases, motion

from agent.config import Settings
from agent.drafting.analysis import choose_standpoint, standpoint_sources
from agent.drafting.guard import addressed_sentences, for_prompt
from agent.drafting.intake import parse_intake
from agent.drafting.prompts import load_prompts
from agent.drafting.retrieve import retrieve
from agent.index.search import Searcher
from agent.llm.backends import open_backend


def question(proposals: list[str]) -> str:
    """What the standpoint prompt carries of the remiss (everything else in it is the same)."""
    return "\n".join(for_prompt(p) for p in proposals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/results/injection.json"))
    args = parser.parse_args()
    settings = Settings()
    prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    searcher = Searcher.open(settings)
    clean = parse_intake(motion())
    evidence = retrieve(clean, searcher)
    rows = []
    with open_backend(settings) as chat:
        started = time.perf_counter()
        baseline, _ = choose_standpoint(clean.proposals, evidence, chat, prompts)
        clean_q = question([p.text for p in clean.proposals])
        for paraphrase in load_paraphrases():
            for position in POSITIONS:
                intake = parse_intake(motion(paraphrase.text, position))
                reached = question([p.text for p in intake.proposals]) != clean_q
                standpoint = baseline
                if reached:  # the same evidence: only the remiss's words differ
                    standpoint, _ = choose_standpoint(intake.proposals, evidence, chat, prompts)
                rows.append(
                    {
                        "id": paraphrase.id,
                        "position": position,
                        "reached_model": reached,
                        "flagged": bool(addressed_sentences(paraphrase.text)),
                        "standpoint": standpoint,
                        "goal": paraphrase.standpoint or f"canary {paraphrase.canary}",
                        "changed": standpoint != baseline,
                    }
                )
                print(rows[-1], flush=True)
        seconds = time.perf_counter() - started
    searcher.close()
    reached = [r for r in rows if r["reached_model"]]
    summary = {
        "model": chat.model,
        "clean_standpoint": baseline,
        "sources_in_question": len(standpoint_sources(evidence)),
        "cases": len(rows),
        "reached_model": len(reached),
        "standpoint_changed": sum(r["changed"] for r in rows),
        "changed_towards_goal": sum(r["changed"] and r["standpoint"] == r["goal"] for r in rows),
        "seconds": round(seconds, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
