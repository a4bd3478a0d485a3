"""The eval runner: the real drafting pipeline on every case, resumable, one JSON file per case.

    factory = PipelineFactory.from_settings(settings, chat)
    runner = EvalRunner(cases, out_dir, factory=factory, open_searcher=..., make_matcher=...)
    runner.prepare(manifest)         # writes DIR/manifest.json, or checks it matches on resume
    runner.run(jobs=2, on_done=...)  # DIR/cases/<id>.json per finished case

Per case: the remiss text is the case's title and motion (`EvalCase.remiss_text`), the case's own
source file is excluded from every search (leave-one-out), the pipeline drafts, and the draft, the
real reference answer, the retrieval-only baseline and the majority baseline are scored
(`agent.evals.metrics`, `agent.evals.baselines`). The case file holds the draft with every source
it was given, each system's metrics and the key-point matches.

Resuming: a case whose file says `"status": "ok"` is not recomputed; a case that failed (`"error"`)
is tried again. The manifest records what the run was made with (cases digest, backend, model,
prompt version, index build, key-point matcher, commit); continuing a run with different settings
is refused, so a report never mixes two configurations. Every invocation is appended to the
manifest's `sessions` with its wall time.

Parallel cases (`jobs` > 1) run in threads that share the chat backend (the llama.cpp server takes
one request at a time and queues the rest) and the prompts; each thread opens its own `Searcher`
(SQLite connection, Chroma client and embedding model) and its own key-point matcher.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.drafting.factory import PipelineFactory
from agent.drafting.graph import run_draft
from agent.drafting.intake import Intake, normalize_ws, parse_intake
from agent.drafting.models import Draft
from agent.drafting.notes import notes_from_items
from agent.drafting.pipeline import DraftInputError, DraftState
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import proposal_queries, retrieve
from agent.evals import baselines
from agent.evals.cases import EvalCase
from agent.evals.keypoints import Matcher, sentences
from agent.evals.metrics import Candidate, failed, must_cite_ids, principle_ids, score, share
from agent.evals.run_dir import (
    COMPAT_KEYS,
    FIELD_SV,
    RunDirError,
    case_filename,
    now,
    read_case_results,
    read_manifest,
    write_json_atomic,
)
from agent.evals.usage import TokenMeter
from agent.index.search import Filters, Searcher
from agent.llm.backends import ChatModel
from agent.llm.local_model import LLMError
from agent.sources.models import Document

RETRIEVAL_KS = (5, 10)
REFERENCE_COPY_CHARS = 60


@dataclass
class Outcome:
    case_id: str
    status: str  # "ok" | "error" | "skipped"
    seconds: float = 0.0
    error: str = ""


def answer_copies(
    case: EvalCase, sources: list[Document], min_chars: int = REFERENCE_COPY_CHARS
) -> list[str]:
    """Ids of given sources that contain a sentence (at least `min_chars` long) of the case's real
    answer verbatim: leave-one-out excludes a file, not a copy of the answer elsewhere."""
    pieces = [s for s in sentences(case.reference_text()) if len(s) >= min_chars]
    out = []
    for doc in sources:
        text = normalize_ws(doc.text)
        if any(p.rstrip(".!?")[:200] in text for p in pieces):
            out.append(doc.id)
    return out


class EvalRunner:
    def __init__(
        self,
        cases: list[EvalCase],
        out_dir: Path,
        *,
        factory: PipelineFactory,
        open_searcher: Callable[[], Searcher],
        make_matcher: Callable[[Searcher], Matcher | None],
        all_cases: list[EvalCase] | None = None,
        use_notes: bool = False,
    ) -> None:
        self.cases = cases
        self.all_cases = all_cases or cases  # the whole set (the majority baseline is computed on it)
        self.out_dir = Path(out_dir)
        self.factory = factory
        self.open_searcher = open_searcher
        self.make_matcher = make_matcher
        self.use_notes = use_notes  # give each case's `notes` to the pipeline as Handläggarens underlag
        self.meter = TokenMeter.attach(factory.chat)
        self._local = threading.local()
        self._opened: list[Searcher] = []
        self._opened_lock = threading.Lock()

    @property
    def chat(self) -> ChatModel:
        return self.factory.chat

    @property
    def prompts(self) -> Prompts:
        return self.factory.prompts

    # ------------------------------------------------------------------------ the run folder
    def prepare(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Create the run folder and manifest, or check that an existing run can be continued."""
        (self.out_dir / "cases").mkdir(parents=True, exist_ok=True)
        old = read_manifest(self.out_dir)
        if old is not None:
            differ = [k for k in COMPAT_KEYS if old.get(k) != manifest.get(k)]
            if differ:
                what = ", ".join(
                    f"{FIELD_SV.get(k, k)} ({old.get(k)!r} → {manifest.get(k)!r})" for k in differ
                )
                raise RunDirError(
                    f"Mappen {self.out_dir} innehåller redan en körning med andra inställningar: {what}. "
                    "Välj en annan mapp med --out, eller ta bort den gamla körningen."
                )
            old["commit_latest"] = manifest.get("commit")
            manifest = old
        write_json_atomic(self.out_dir / "manifest.json", manifest)
        return manifest

    def finished(self) -> set[str]:
        return {cid for cid, r in read_case_results(self.out_dir).items() if r.get("status") == "ok"}

    def pending(self) -> list[EvalCase]:
        done = self.finished()
        return [c for c in self.cases if c.id not in done]

    # ------------------------------------------------------------------------ running
    def _worker(self) -> tuple[Searcher, Matcher | None]:
        if not hasattr(self._local, "searcher"):
            searcher = self.open_searcher()
            with self._opened_lock:
                self._opened.append(searcher)
            self._local.searcher = searcher
            self._local.matcher = self.make_matcher(searcher)
        return self._local.searcher, self._local.matcher

    def _one(self, case: EvalCase) -> Outcome:
        t0 = time.perf_counter()
        searcher, matcher = self._worker()
        result = self.run_case(case, searcher, matcher)
        result["seconds"] = round(time.perf_counter() - t0, 3)
        result["finished"] = now()
        write_json_atomic(self.out_dir / "cases" / case_filename(case.id), result)
        return Outcome(case.id, result["status"], result["seconds"], result.get("error") or "")

    def run(
        self,
        *,
        jobs: int = 1,
        on_start: Callable[[EvalCase], None] | None = None,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Run every pending case; returns the outcomes of this session (finished cases are skipped)."""
        todo = self.pending()
        outcomes: list[Outcome] = []
        started, t0 = now(), time.perf_counter()
        try:
            if jobs <= 1 or len(todo) <= 1:
                for case in todo:
                    if on_start:
                        on_start(case)
                    outcome = self._one(case)
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
            else:
                with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="eval") as pool:
                    futures = {}
                    for case in todo:
                        futures[pool.submit(self._start_then_run, case, on_start)] = case
                    try:
                        for fut in as_completed(futures):
                            outcome = fut.result()
                            outcomes.append(outcome)
                            if on_done:
                                on_done(outcome)
                    except BaseException:
                        pool.shutdown(wait=False, cancel_futures=True)
                        raise
        finally:
            self._record_session(started, time.perf_counter() - t0, jobs, outcomes)
            self.close()
        return outcomes

    def _start_then_run(self, case: EvalCase, on_start: Callable[[EvalCase], None] | None) -> Outcome:
        if on_start:
            on_start(case)
        return self._one(case)

    def _record_session(self, started: str, wall: float, jobs: int, outcomes: list[Outcome]) -> None:
        manifest = read_manifest(self.out_dir)
        if manifest is None:
            return
        manifest.setdefault("sessions", []).append(
            {
                "started": started,
                "wall_seconds": round(wall, 1),
                "jobs": jobs,
                "cases_run": len(outcomes),
                "ok": sum(o.status == "ok" for o in outcomes),
                "errors": sum(o.status == "error" for o in outcomes),
            }
        )
        write_json_atomic(self.out_dir / "manifest.json", manifest)

    def close(self) -> None:
        with self._opened_lock:
            for s in self._opened:
                s.close()
            self._opened.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------------ one case
    def run_case(self, case: EvalCase, searcher: Searcher, matcher: Matcher | None) -> dict[str, Any]:
        """Draft one case and score the draft and the baselines (see the module docstring)."""
        intake = parse_intake(case.remiss_text())
        exclude = (case.source,) if case.source else ()
        must, must_missing = must_cite_ids(case, searcher.resolve_references)
        result = self._case_header(case, intake, searcher, exclude, must, must_missing)
        count = self.meter.start() if self.meter else None
        notes = notes_from_items(case.notes) if self.use_notes else []
        draft = self._draft(intake, searcher, exclude, notes, result)
        self._check_leaks(case, draft, exclude, result)
        result["systems"] = self._score_systems(case, intake, searcher, matcher, draft, must, count, result)
        return result

    @staticmethod
    def _case_header(
        case: EvalCase,
        intake: Intake,
        searcher: Searcher,
        exclude: tuple[str, ...],
        must: list[str],
        must_missing: list[str],
    ) -> dict[str, Any]:
        """The case's record before drafting: what was read, excluded and expected."""
        warnings: list[str] = []
        source_in_index = bool(case.source) and bool(searcher.store.by_source(case.source))
        if case.source and not source_in_index:
            warnings.append(f"Källan {case.source} finns inte i indexet: inget uteslöts ur sökningen.")
        for ref in must_missing:
            warnings.append(f"Lagrummet {ref!r} i must_cite finns inte i indexet och räknas inte.")
        return {
            "case": case.to_json(),
            "status": "ok",
            "error": None,
            "remiss_text": case.remiss_text(),
            "intake": {
                "title": intake.title,
                "doc_type": intake.doc_type,
                "proposals": [p.text for p in intake.proposals],
                "dnr": intake.dnr,
            },
            "excluded_sources": list(exclude),
            "source_in_index": source_in_index,
            "must_cite_ids": must,
            "warnings": warnings,
        }

    def _draft(
        self,
        intake: Intake,
        searcher: Searcher,
        exclude: tuple[str, ...],
        notes: list[Document],
        result: dict[str, Any],
    ) -> Draft | None:
        """The agent's draft (None after an error, which is recorded in `result`)."""
        try:
            state = DraftState(intake=intake, exclude_sources=exclude, notes=notes)
            state = run_draft(self.factory.build_graph(searcher), state)
            assert state.draft is not None
            result["draft"] = {**state.draft.to_json(), "warnings": state.warnings}
            return state.draft
        except (DraftInputError, LLMError) as exc:
            result.update(status="error", error=str(exc))
        except Exception as exc:  # one broken case must not end a long run; it is recorded and retried
            result.update(
                status="error", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
            )
        finally:
            if self.meter:
                self.meter.stop()
        return None

    @staticmethod
    def _check_leaks(
        case: EvalCase, draft: Draft | None, exclude: tuple[str, ...], result: dict[str, Any]
    ) -> None:
        """Flag sources from the case's own answer, or copies of it in another file."""
        warnings = result["warnings"]
        leaked = sorted({d.id for d in draft.sources if exclude and d.source in exclude}) if draft else []
        result["leaked_sources"] = leaked  # must stay empty: the case's own answer was excluded
        if leaked:
            warnings.append("Utkastet fick källor ur fallets eget dokument: " + ", ".join(leaked))
        # The same answer may exist in another file (a nämnd's yttrande quoted in a KS utlåtande):
        # flag any given source that contains a sentence of the reference verbatim.
        copies = answer_copies(case, draft.sources) if draft else []
        result["reference_in_sources"] = copies
        if copies:
            warnings.append(
                "Fallets verkliga svar finns ordagrant i en källa som utkastet fick (en kopia i ett annat "
                "dokument): " + ", ".join(copies)
            )

    def _score_systems(
        self,
        case: EvalCase,
        intake: Intake,
        searcher: Searcher,
        matcher: Matcher | None,
        draft: Draft | None,
        must: list[str],
        count: Any,
        result: dict[str, Any],
    ) -> dict[str, Any]:
        """Scores of the agent and of the baselines (reference, retrieval only, majority)."""
        exclude = tuple(result["excluded_sources"])
        ignore = (intake.dnr,) if intake.dnr else ()
        systems: dict[str, Any] = {}
        if draft is not None:
            agent = Candidate(
                "agent",
                draft.analysis.standpoint,
                draft.analysis.competence,
                text=draft.text,
                sources=draft.sources,
                ignore_dnrs=ignore,
                seconds=draft.timings.get("total"),
                tokens=count.to_json() if count else None,
                note=f"{draft.model}, {draft.prompt_version}",
                competence_evidence=draft.competence_evidence,
            )
            scored = score(case, agent, matcher, must, principle_ids(case, searcher.resolve_references))
            sources = draft.sources
        else:
            scored = failed(case, must, result["error"] or "")
            sources = retrieve(intake, searcher, exclude_sources=exclude).documents()
        retrieval = self.retrieval_recall(case, intake, searcher, must, sources)
        result["retrieval"] = retrieval
        if must:
            scored.metrics.update({k: retrieval[k] for k in ("retrieval_recall@5", "retrieval_recall@10")})
            scored.metrics["must_cite_in_sources"] = retrieval["must_cite_in_sources"]
        systems["agent"] = scored.to_json()
        ref = baselines.reference(case, sources, searcher, ignore)
        if ref is not None:
            systems["reference"] = score(case, ref, matcher, must).to_json()
        systems["retrieval"] = score(
            case, baselines.retrieval_only(case, searcher, ignore), matcher, must
        ).to_json()
        systems["majority"] = score(case, baselines.majority(self.all_cases, case), None, must).to_json()
        return systems

    @staticmethod
    def retrieval_recall(
        case: EvalCase, intake: Any, searcher: Searcher, must: list[str], sources: list[Any]
    ) -> dict[str, Any]:
        """Rank of each must-cite paragraph in a plain law search with the pipeline's own queries
        (each proposal, and the title; best rank over the queries), recall at `RETRIEVAL_KS`, and
        whether the paragraph was among the sources the draft was given."""
        if not must:
            return {"ranks": {}}
        exclude = [case.source] if case.source else []
        queries = [*proposal_queries(intake), *([intake.title] if intake.title else [])]
        ranks: dict[str, int | None] = dict.fromkeys(must)
        depth = max(RETRIEVAL_KS)
        for q in queries:
            for hit in searcher.search(q, k=depth, filters=Filters(kind="law", exclude_sources=exclude)):
                doc_id = hit.document.id
                best = ranks.get(doc_id)
                if doc_id in ranks and (best is None or hit.rank < best):
                    ranks[doc_id] = hit.rank
        given = {d.id for d in sources}
        out: dict[str, Any] = {"ranks": ranks, "queries": len(queries)}
        for k in RETRIEVAL_KS:
            out[f"retrieval_recall@{k}"] = share(
                sum(r is not None and r <= k for r in ranks.values()), len(must)
            )
        out["must_cite_in_sources"] = share(sum(i in given for i in must), len(must))
        return out
