"""Eval runs side by side: `compare_runs` (per metric a paired bootstrap interval of the difference over
the cases both ran, and per case what changed) and `list_runs` (the runs in a folder, for the app)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.evals.metrics import METRICS, paired_difference
from agent.evals.report import CASE_COLUMNS
from agent.evals.run_dir import read_case_results, read_manifest

# ------------------------------------------------------------------------------------------ compare


def _agent_metrics(out_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        cid: r["systems"]["agent"]
        for cid, r in read_case_results(out_dir).items()
        if "agent" in r.get("systems", {})
    }


def compare_runs(run_a: Path, run_b: Path) -> dict[str, Any]:
    """Per metric: A's and B's mean over the cases both ran, and B − A with a paired bootstrap
    interval; per case: what changed (standpoint, competence, key points, must-cite, validity)."""
    a, b = _agent_metrics(run_a), _agent_metrics(run_b)
    shared = sorted(set(a) & set(b))
    metrics: dict[str, Any] = {}
    for key in METRICS:
        va = {c: float(v) for c in shared if (v := a[c]["metrics"].get(key)) is not None}
        vb = {c: float(v) for c in shared if (v := b[c]["metrics"].get(key)) is not None}
        pairs = sorted(set(va) & set(vb))
        if not pairs:
            continue
        metrics[key] = {
            "a": sum(va[c] for c in pairs) / len(pairs),
            "b": sum(vb[c] for c in pairs) / len(pairs),
            "diff": paired_difference({c: va[c] for c in pairs}, {c: vb[c] for c in pairs}),
            "n": len(pairs),
        }
    cases = []
    for cid in shared:
        ma, mb = a[cid]["metrics"], b[cid]["metrics"]
        changes = {}
        for key in ("standpoint", "competence"):
            va_, vb_ = a[cid]["details"].get(key), b[cid]["details"].get(key)
            if va_ != vb_:
                changes[key] = [va_, vb_]
        for key in CASE_COLUMNS:
            if ma.get(key) != mb.get(key):
                changes[key] = [ma.get(key), mb.get(key)]
        if changes:
            cases.append({"id": cid, "changes": changes})
    manifests = {name: read_manifest(p) or {} for name, p in (("a", run_a), ("b", run_b))}
    return {
        "a": str(run_a),
        "b": str(run_b),
        "settings": {
            name: {k: m.get(k) for k in ("model", "backend", "prompt_version", "index_build", "keypoints")}
            for name, m in manifests.items()
        },
        "shared_cases": len(shared),
        "only_a": sorted(set(a) - set(b)),
        "only_b": sorted(set(b) - set(a)),
        "metrics": metrics,
        "cases": cases,
    }


# ------------------------------------------------------------------------------------------ listing


def list_runs(root: Path) -> list[dict[str, Any]]:
    """The runs under `root` that have a report (newest first): for the app's Utvärdering page.

    Each entry: path, name, created, model, backend, prompt_version, n_ok, n_cases, the agent's
    headline metrics ({mean, lo, hi, n} or None), the path of report.html and the ids of the cases."""
    runs: list[dict[str, Any]] = []
    if not root.is_dir():
        return runs
    for path in sorted(p for p in root.iterdir() if (p / "report.json").is_file()):
        try:
            report = json.loads((path / "report.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        m = report.get("manifest", {})
        agent = (report.get("systems", {}).get("agent") or {}).get("metrics", {})
        runs.append(
            {
                "path": str(path),
                "name": path.name,
                "created": m.get("created", ""),
                "model": m.get("model", ""),
                "backend": m.get("backend", ""),
                "prompt_version": m.get("prompt_version", ""),
                "n_ok": report.get("n_ok", 0),
                "n_cases": report.get("n_cases", 0),
                "metrics": {k: agent.get(k) for k in CASE_COLUMNS},
                "html": str(path / "report.html"),
                "case_ids": [c["id"] for c in report.get("cases", [])],
            }
        )
    return sorted(runs, key=lambda r: r["created"], reverse=True)
