"""Metrics of one draft against its case, and their aggregation with bootstrap confidence intervals.

Anything that produces text is scored the same way (`Candidate`): the agent's draft, the real
reference answer and the retrieval-only baseline. Every text metric re-runs verification on the
candidate's final text against the sources it was given (nothing is taken from the draft's own
verification record):

* standpoint_acc — 1 if the standpoint is among the case's accepted ones, else 0 (no standpoint = 0);
* competence_acc — 1 if the competence equals the annotation (`uncertain` = 0);
* holder_correct — on an outside verdict for a case annotated outside with a `holder`: 1 if a paragraph
  the draft cites for that verdict names the holder (the authority in the label or the atlas entry's
  actor; for `regionen` an entry held by the region; for `princip (2 kap. 8 § KL)` that very paragraph),
  else 0 — the right verdict for the wrong reason counts as wrong here;
* uncertain_rate — 1 if the competence is `uncertain` (how often the agent leaves it to the official);
* keypoint_recall — share of the case's key points the text covers (`agent.evals.keypoints`);
* must_cite_recall — share of the annotated paragraphs (`must_cite`) the text cites (resolved
  citations only); cases without `must_cite` are left out;
* citation_validity — share of the text's citations that resolve to a source it was given (must be
  1.0 for the agent); texts without citations are left out;
* quote_accuracy — share of the text's quotations (at least four words) that are verbatim in a given
  source; texts without quotations are left out;
* unsupported_rate — share of sentences that make a legal claim without a citation;
* chars, seconds, prompt/completion tokens.

The runner adds, per case, retrieval recall of the must-cite paragraphs at k (`retrieval_recall`).

Aggregates are means over cases with a percentile bootstrap 95 % interval (resampling cases,
`N_BOOT` resamples, fixed seed): the sets are small, so the interval matters more than the mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.drafting.models import Citation
from agent.drafting.verify import count_quotations, verify_draft
from agent.evals.cases import EvalCase
from agent.evals.keypoints import Matcher, PointMatch, recall, sentence_list, sentences
from agent.sources.models import Document

N_BOOT = 10_000
SEED = 20250801
LEVEL = 0.95

# Metric key -> Swedish heading, in report order; `higher` says which direction is better.
METRICS: dict[str, dict[str, Any]] = {
    "standpoint_acc": {"label": "Ståndpunkt godtagen", "higher": True, "share": True},
    "competence_acc": {"label": "Kompetensbedömning rätt", "higher": True, "share": True},
    "holder_correct": {"label": "Rätt ansvarig (vid utanför)", "higher": True, "share": True},
    "uncertain_rate": {"label": "Kompetens lämnad oklar", "higher": None, "share": True},
    "keypoint_recall": {"label": "Nyckelpunkter täckta", "higher": True, "share": True},
    "must_cite_recall": {"label": "Obligatoriska lagrum citerade", "higher": True, "share": True},
    "retrieval_recall@5": {
        "label": "Obligatoriska lagrum i sökningens topp 5",
        "higher": True,
        "share": True,
    },
    "retrieval_recall@10": {
        "label": "Obligatoriska lagrum i sökningens topp 10",
        "higher": True,
        "share": True,
    },
    "must_cite_in_sources": {"label": "Obligatoriska lagrum bland källorna", "higher": True, "share": True},
    "citation_validity": {"label": "Giltiga hänvisningar", "higher": True, "share": True},
    "quote_accuracy": {"label": "Ordagranna citat", "higher": True, "share": True},
    "unsupported_rate": {"label": "Rättsliga påståenden utan hänvisning", "higher": False, "share": True},
    "citations": {"label": "Hänvisningar per utkast", "higher": None, "share": False},
    "chars": {"label": "Längd (tecken)", "higher": None, "share": False},
    "seconds": {"label": "Tid per utkast (s)", "higher": False, "share": False},
    "prompt_tokens": {"label": "Token in (prompt)", "higher": None, "share": False},
    "completion_tokens": {"label": "Token ut (svar)", "higher": None, "share": False},
}


@dataclass
class Candidate:
    """A text to score as a draft of a case (or, for the majority baseline, only a standpoint)."""

    system: str  # "agent" | "reference" | "retrieval" | "majority"
    standpoint: str | None
    competence: str | None
    text: str | None = None  # None: the system writes no text (text metrics do not apply)
    sources: list[Document] = field(default_factory=list)
    ignore_dnrs: tuple[str, ...] = ()
    seconds: float | None = None
    tokens: dict[str, int | None] | None = None
    note: str = ""  # how the candidate was made (Swedish, shown in the report)
    competence_evidence: list[dict[str, Any]] | None = None  # the agent's, per proposal (Draft.to_json)


@dataclass
class Scored:
    system: str
    metrics: dict[str, float | None]
    key_points: list[PointMatch] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "metrics": {k: (None if v is None else round(float(v), 6)) for k, v in self.metrics.items()},
            "key_points": [m.to_json() for m in self.key_points],
            "details": self.details,
        }


def share(hits: int, total: int) -> float | None:
    return None if total == 0 else hits / total


def must_cite_ids(case: EvalCase, resolve: Any) -> tuple[list[str], list[str]]:
    """The document ids of the case's `must_cite` paragraphs via `resolve(text) -> [Document]`
    (`Searcher.resolve_references`), and the annotations that resolve to nothing."""
    ids: list[str] = []
    missing: list[str] = []
    for ref in case.must_cite:
        docs = resolve(ref)
        if docs:
            if docs[0].id not in ids:
                ids.append(docs[0].id)
        else:
            missing.append(ref)
    return ids, missing


def principle_ids(case: EvalCase, resolve: Any) -> set[str]:
    """The paragraph ids a `holder: princip (2 kap. 8 § KL)` annotation names (empty otherwise)."""
    kind, names = parse_holder(case.holder) if case.holder else ("", [])
    if kind != "princip":
        return set()
    return {doc.id for name in names for doc in resolve(name)[:1]}


def cited_per_sentence(text: str, citations: list[Citation]) -> list[set[str]]:
    """The ids of the given sources each sentence of `sentence_list(text)` cites (resolved only)."""
    spans = sentence_list(text)
    out: list[set[str]] = [set() for _ in spans]
    for c in citations:
        if c.source_id is None:
            continue
        for i, (s, e, _) in enumerate(spans):
            if s <= c.start < e:
                out[i].add(c.source_id)
                break
    return out


_HOLDER_RE = re.compile(r"^\s*(?P<kind>[\wåäö]+)\s*(?:\((?P<names>.*)\))?\s*$", re.IGNORECASE)


def parse_holder(holder: str) -> tuple[str, list[str]]:
    """`staten (Migrationsverket | Säkerhetspolisen)` -> ("staten", ["Migrationsverket", "Säkerhetspolisen"]).

    Names are separated by `|`, `,`, " eller " or " och "."""
    m = _HOLDER_RE.match(holder)
    if not m:
        return holder.strip().lower(), []
    names = [n.strip() for n in re.split(r"[|,]| eller | och ", m["names"] or "") if n.strip()]
    return m["kind"].lower(), names


def holder_correct(case: EvalCase, cand: Candidate, cited: set[str], principle_ids: set[str]) -> float | None:
    """See the module docstring; None where it does not apply. `principle_ids`: the paragraph ids a
    `princip (…)` annotation resolves to."""
    if not case.holder or case.competence != "outside" or cand.competence != "outside":
        return None
    kind, names = parse_holder(case.holder)
    for j in cand.competence_evidence or []:
        entry = j.get("entry") or {}
        paragraphs = [p for p in j.get("paragraphs") or [] if p["id"] in cited]
        if j.get("verdict") != "outside" or not paragraphs:
            continue
        named = " ".join([entry.get("actor", ""), *(p["label"] for p in paragraphs)]).casefold()
        holder = entry.get("holder")
        ok = {
            "staten": holder == "staten" and (not names or any(n.casefold() in named for n in names)),
            "regionen": holder == "regionen",
            "princip": holder == "forbjudet"
            and (not principle_ids or bool(principle_ids & {p["id"] for p in paragraphs})),
        }.get(kind, False)
        if ok:
            return 1.0
    return 0.0


def score(
    case: EvalCase,
    cand: Candidate,
    matcher: Matcher | None,
    must_cite: list[str],
    principle_ids: set[str] | None = None,
) -> Scored:
    """All metrics of one candidate (see the module docstring)."""
    m: dict[str, float | None] = {
        "standpoint_acc": float(cand.standpoint in case.standpoint),
        "competence_acc": None if cand.competence is None else float(cand.competence == case.competence),
    }
    if cand.competence_evidence is not None:
        m["uncertain_rate"] = float(cand.competence == "uncertain")
    details: dict[str, Any] = {
        "standpoint": cand.standpoint,
        "competence": cand.competence,
        "note": cand.note,
    }
    points: list[PointMatch] = []
    if cand.text is not None:
        points = _score_text(case, cand, matcher, must_cite, principle_ids or set(), m, details)
    if cand.seconds is not None:
        m["seconds"] = cand.seconds
    if cand.tokens:
        m["prompt_tokens"] = cand.tokens.get("prompt")
        m["completion_tokens"] = cand.tokens.get("completion")
        details["tokens"] = cand.tokens
    return Scored(cand.system, m, points, details)


def _score_text(
    case: EvalCase,
    cand: Candidate,
    matcher: Matcher | None,
    must_cite: list[str],
    principle_ids: set[str],
    m: dict[str, float | None],
    details: dict[str, Any],
) -> list[PointMatch]:
    """The text metrics of a candidate that wrote a text (into `m` and `details`); its key-point matches."""
    text = cand.text or ""
    citations, verification = verify_draft(
        text, cand.sources, ignore_dnrs=cand.ignore_dnrs, remiss=case.remiss_text()
    )
    cited = {c.source_id for c in citations if c.source_id}
    n_quotes = count_quotations(text)
    n_sentences = len(sentences(text))
    points: list[PointMatch] = []
    if matcher is not None and case.key_points:
        points = matcher.match(
            case.key_points,
            text,
            remiss=(case.title, *case.motion),
            cited=cited_per_sentence(text, citations),
        )
    m.update(
        keypoint_recall=recall(points) if matcher is not None else None,
        must_cite_recall=share(sum(i in cited for i in must_cite), len(must_cite)),
        citation_validity=share(sum(c.source_id is not None for c in citations), len(citations)),
        quote_accuracy=share(n_quotes - len(verification.misquoted), n_quotes),
        unsupported_rate=share(len(verification.unsupported_sentences), n_sentences),
        citations=float(len(citations)),
        chars=float(len(text)),
    )
    if cand.competence_evidence is not None:
        m["holder_correct"] = holder_correct(case, cand, cited, principle_ids)
    details.update(
        text=text,
        citations=[
            {"ref": c.ref, "source_id": c.source_id, "label": c.label, "quote": c.quote} for c in citations
        ],
        verification=verification.to_json(),
        sources=[{"id": d.id, "kind": d.kind, "label": d.label, "source": d.source} for d in cand.sources],
        sentences=n_sentences,
        quotes=n_quotes,
    )
    if cand.competence_evidence is not None:
        details["competence_evidence"] = cand.competence_evidence
    return points


def failed(case: EvalCase, must_cite: list[str], error: str) -> Scored:
    """The agent produced no draft: it scores 0 on what it should have done (counted, not dropped)."""
    m: dict[str, float | None] = {"standpoint_acc": 0.0, "competence_acc": 0.0}
    if case.key_points:
        m["keypoint_recall"] = 0.0
    if must_cite:
        m["must_cite_recall"] = 0.0
    return Scored("agent", m, [], {"error": error})


# ------------------------------------------------------------------------------------- aggregation


def bootstrap_ci(
    values: list[float], *, n_boot: int = N_BOOT, seed: int = SEED, level: float = LEVEL
) -> dict[str, float | int] | None:
    """Mean and percentile bootstrap interval of `values` (resampling the values); None if empty."""
    a = np.asarray([v for v in values if v is not None], dtype=np.float64)
    if a.size == 0:
        return None
    mean = float(a.mean())
    if a.size == 1 or float(a.std()) == 0.0:
        return {"mean": mean, "lo": mean, "hi": mean, "n": int(a.size)}
    rng = np.random.default_rng(seed)
    means = a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return {"mean": mean, "lo": float(lo), "hi": float(hi), "n": int(a.size)}


def paired_difference(
    a: dict[str, float], b: dict[str, float], *, n_boot: int = N_BOOT, seed: int = SEED
) -> dict[str, float | int] | None:
    """Mean of b - a over the keys both have, with a bootstrap interval over those pairs."""
    keys = sorted(set(a) & set(b))
    return bootstrap_ci([b[k] - a[k] for k in keys], n_boot=n_boot, seed=seed)


def aggregate(per_case: list[dict[str, float | None]]) -> dict[str, dict[str, float | int] | None]:
    """metric -> {mean, lo, hi, n} over the cases where the metric applies."""
    out: dict[str, dict[str, float | int] | None] = {}
    for key in METRICS:
        values = [float(v) for row in per_case if (v := row.get(key)) is not None]
        if values:
            out[key] = bootstrap_ci(values)
    return out


def fmt(value: float | None, key: str) -> str:
    """A metric value for tables: shares with two decimals, counts and seconds rounded."""
    if value is None:
        return "–"
    if METRICS.get(key, {}).get("share"):
        return f"{value:.2f}"
    return f"{value:.1f}" if key in ("seconds", "citations") else f"{value:.0f}"


def fmt_ci(stat: dict[str, float | int] | None, key: str) -> str:
    if not stat:
        return "–"
    mean, lo, hi = float(stat["mean"]), float(stat["lo"]), float(stat["hi"])
    if lo == hi:
        return f"{fmt(mean, key)} (n={stat['n']})"
    return f"{fmt(mean, key)} [{fmt(lo, key)}–{fmt(hi, key)}] (n={stat['n']})"
