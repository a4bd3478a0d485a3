"""Token budgets without a tokenizer: an estimate calibrated on the project's own prompts.

The local model (Qwen2.5) reads about 2.6 characters of this project's Swedish per token: measured with
its own tokenizer (llama.cpp, vocab only) on the standpoint prompts of the 26 public eval cases
(median 2.64, range 2.50–2.85; statute labels and SFS numbers make it lower than ordinary prose). A
budget in tokens becomes a budget in characters through this ratio, slightly on the safe side.
"""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 2.6


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def chars_for(tokens: int) -> int:
    return max(0, int(tokens * CHARS_PER_TOKEN))
