"""Reports of an eval run: `report.json`, `report.md` and a self-contained `report.html`.

Everything is computed from the run folder alone (`manifest.json` and `cases/*.json`), so a report
can be rebuilt at any time and a partial run reports what it has. The HTML has its CSS inline, no
scripts and no external assets: it opens from disk in a browser and inside the app (Streamlit
`components.html`). Comparing and listing runs: `agent/evals/runs.py`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from agent.drafting.models import COMPETENCE_SV as DRAFT_COMPETENCE_SV
from agent.evals.cases import STANDPOINTS
from agent.evals.metrics import METRICS, aggregate, fmt, fmt_ci
from agent.evals.run_dir import read_case_results, read_manifest

REPORT_FORMAT = "remiss-eval-report/1"
SYSTEMS: dict[str, str] = {
    "agent": "Remissagenten",
    "majority": "Majoritetsbaslinje",
    "retrieval": "Endast sökning",
    "reference": "Verkligt svar (övre gräns)",
}
SYSTEM_NOTES: dict[str, str] = {
    "agent": "Utkastagenten på fallets motion, med fallets eget dokument uteslutet ur sökningen.",
    "majority": "Väljer alltid den ståndpunkt och kompetensbedömning som flest av de övriga fallen har. "
    "Skriver ingen text.",
    "retrieval": "Kopierar det mest lika tidigare remissvarets bedömning ordagrant och hänvisar till det; "
    "ståndpunkten läses ur texten med nyckelord.",
    "reference": "Förvaltningens verkliga svar bedömt som ett utkast. Ståndpunkt och kompetens är "
    "annoteringens (alltid rätt); det kontrollerar textmåtten.",
}
CASE_COLUMNS = (
    "standpoint_acc",
    "competence_acc",
    "holder_correct",
    "keypoint_recall",
    "must_cite_recall",
    "citation_validity",
)
COMPETENCE_SV: dict[str | None, str] = {k: v for k, v in [*DRAFT_COMPETENCE_SV.items(), (None, "–")]}


# ------------------------------------------------------------------------------------------ data


def build_report(out_dir: Path) -> dict[str, Any]:
    manifest = read_manifest(out_dir) or {}
    results = read_case_results(out_dir)
    ids = manifest.get("case_ids") or sorted(results)
    rows = [results[i] for i in ids if i in results]
    done = [r for r in rows if r.get("status") == "ok"]
    systems: dict[str, Any] = {}
    for system in SYSTEMS:
        per_case = [r["systems"][system]["metrics"] for r in rows if system in r.get("systems", {})]
        if per_case:
            systems[system] = {"n_cases": len(per_case), "metrics": aggregate(per_case)}
    cases = []
    for r in rows:
        case = r["case"]
        entry: dict[str, Any] = {
            "id": case["id"],
            "title": case["title"],
            "status": r.get("status"),
            "error": r.get("error"),
            "accepted_standpoints": case["standpoint"],
            "competence": case["competence"],
            "warnings": r.get("warnings", []),
            "seconds": r.get("seconds"),
            "systems": {},
        }
        for system, s in r.get("systems", {}).items():
            entry["systems"][system] = {
                "standpoint": s["details"].get("standpoint"),
                "competence": s["details"].get("competence"),
                "metrics": s["metrics"],
            }
        cases.append(entry)
    sessions = manifest.get("sessions", [])
    constant = {
        sp: round(sum(sp in r["case"]["standpoint"] for r in rows) / len(rows), 4) if rows else None
        for sp in STANDPOINTS
    }
    return {
        "format": REPORT_FORMAT,
        "manifest": {k: v for k, v in manifest.items() if k != "case_ids"},
        "n_cases": len(ids),
        "n_run": len(rows),
        "n_ok": len(done),
        "n_errors": sum(r.get("status") == "error" for r in rows),
        "not_run": [i for i in ids if i not in results],
        "wall_seconds": round(sum(s.get("wall_seconds", 0.0) for s in sessions), 1),
        "case_seconds": round(sum(r.get("seconds") or 0.0 for r in rows), 1),
        "systems": systems,
        "constant_standpoint": constant,
        "cases": cases,
    }


def write_reports(out_dir: Path) -> dict[str, Any]:
    report = build_report(out_dir)
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", "utf-8")
    (out_dir / "report.md").write_text(render_markdown(report), encoding="utf-8")
    results = read_case_results(out_dir)
    (out_dir / "report.html").write_text(render_html(report, results), encoding="utf-8")
    return report


# ------------------------------------------------------------------------------------------ text


def _settings_lines(report: dict[str, Any]) -> list[tuple[str, str]]:
    m = report["manifest"]
    machine = m.get("machine") or {}
    n_ok, n_cases, n_errors = report["n_ok"], report["n_cases"], report["n_errors"]
    commit = m.get("commit") or {}
    sha = (commit.get("sha") or "okänd")[:12] + (" (med ändringar)" if commit.get("dirty") else "")
    index = m.get("index") or {}
    sessions = m.get("sessions", [])
    jobs = ", ".join(str(s.get("jobs")) for s in sessions) or "–"
    return [
        (
            "Fall",
            f"{n_ok} klara av {n_cases} ({n_errors} fel) — {m.get('cases_path', '')}",
        ),
        ("Modell", f"{m.get('model', '')} ({m.get('backend', '')}), prompt {m.get('prompt_version', '')}"),
        (
            "Sökindex",
            f"{index.get('build_id', '')}, {index.get('count', '')} dokument, {index.get('embedding', '')}",
        ),
        ("Nyckelpunkter", str(m.get("keypoints", ""))),
        ("Kod", sha),
        (
            "Tid",
            f"{report['wall_seconds']:.0f} s total väggtid över {len(sessions)} körning(ar) (--jobs {jobs}); "
            f"{report['case_seconds']:.0f} s summerat per fall",
        ),
        (
            "Maskin",
            f"{machine.get('cpus', '?')} kärnor, Python {machine.get('python', '?')}",
        ),
    ]


def _metric_rows(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    rows = []
    for key, meta in METRICS.items():
        cells = [fmt_ci((report["systems"].get(s) or {}).get("metrics", {}).get(key), key) for s in SYSTEMS]
        if any(c != "–" for c in cells):
            rows.append((meta["label"], cells))
    return rows


def _comp(value: str | None) -> str:
    return COMPETENCE_SV.get(value, value or "–")


def _constant_line(report: dict[str, Any]) -> str:
    shares = report.get("constant_standpoint") or {}
    parts = [f"{sp} {v:.2f}" for sp, v in shares.items() if v is not None]
    return "Att alltid svara samma ståndpunkt ger (andel fall som godtar den): " + ", ".join(parts) + "."


def _sp(entry: dict[str, Any], system: str) -> str:
    s = entry["systems"].get(system)
    return (s or {}).get("standpoint") or "–"


def render_markdown(report: dict[str, Any]) -> str:
    out = ["# Utvärdering av Remissagenten", ""]
    for k, v in _settings_lines(report):
        out.append(f"- **{k}:** {v}")
    out += [
        "",
        "## Sammanställning",
        "",
        "Medelvärde [95 % bootstrapintervall] (antal fall där måttet gäller).",
        "",
    ]
    out.append("| mått | " + " | ".join(SYSTEMS.values()) + " |")
    out.append("|---|" + "---|" * len(SYSTEMS))
    for label, cells in _metric_rows(report):
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += ["", _constant_line(report), "", "## Per fall", ""]
    heads = ["fall", "godtagna", "agenten", "kompetens (facit/agent)"]
    heads += [METRICS[k]["label"] for k in CASE_COLUMNS[2:]]
    heads += ["nyckelp. verkligt svar", "nyckelp. endast sökning", "tid (s)"]
    out.append("| " + " | ".join(heads) + " |")
    out.append("|" + "---|" * len(heads))
    for c in report["cases"]:
        agent = c["systems"].get("agent", {})
        m = agent.get("metrics", {})
        mark = "✓" if m.get("standpoint_acc") else "✗"
        cells = [
            c["id"] + (" (fel)" if c["status"] == "error" else ""),
            ", ".join(c["accepted_standpoints"]),
            f"{_sp(c, 'agent')} {mark}",
            f"{_comp(c['competence'])}/{_comp(agent.get('competence'))}",
        ]
        cells += [fmt(m.get(k), k) for k in CASE_COLUMNS[2:]]
        for system in ("reference", "retrieval"):
            cells.append(
                fmt(c["systems"].get(system, {}).get("metrics", {}).get("keypoint_recall"), "keypoint_recall")
            )
        cells.append(fmt(c.get("seconds"), "seconds"))
        out.append("| " + " | ".join(cells) + " |")
    if report["not_run"]:
        out += ["", f"Ej körda ännu: {', '.join(report['not_run'])}"]
    errors = [c for c in report["cases"] if c["status"] == "error"]
    if errors:
        out += ["", "## Fel", ""] + [f"- {c['id']}: {c['error']}" for c in errors]
    out += ["", "## Jämförelselinjer", ""] + [f"- **{SYSTEMS[s]}:** {SYSTEM_NOTES[s]}" for s in SYSTEMS]
    out += ["", "Måtten beskrivs i `evals/README.md`.", ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ html

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1200px;
padding:0 1rem;color:#1d2733;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d5dbe3}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.5rem 0}
th,td{border:1px solid #d5dbe3;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#eef2f7}td.num{text-align:right;white-space:nowrap}
.ok{color:#17733a;font-weight:600}.bad{color:#b3261e;font-weight:600}.muted{color:#5d6b7a}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.text{white-space:pre-wrap;background:#f7f9fb;border:1px solid #d5dbe3;padding:.6rem;font-size:.88rem}
details{border:1px solid #d5dbe3;border-radius:4px;margin:.5rem 0;padding:.3rem .6rem}
summary{cursor:pointer;font-weight:600}ul.kp{padding-left:1.2rem}ul.kp li{margin:.15rem 0}
.warn{background:#fff6e0;border:1px solid #e8c66a;padding:.3rem .6rem;margin:.3rem 0}
@media (max-width:800px){.pair{grid-template-columns:1fr}}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _kp_list(points: list[dict[str, Any]]) -> str:
    if not points:
        return '<p class="muted">Inga nyckelpunkter.</p>'
    items = []
    for p in points:
        mark = '<span class="ok">✓</span>' if p["covered"] else '<span class="bad">✗</span>'
        sent = f' <span class="muted">— {_e(p["sentence"][:200])}</span>' if p.get("sentence") else ""
        items.append(f'<li>{mark} {_e(p["point"])} <span class="muted">({p["score"]:.3f})</span>{sent}</li>')
    return '<ul class="kp">' + "".join(items) + "</ul>"


def _case_detail(entry: dict[str, Any], result: dict[str, Any] | None) -> str:
    parts = [f'<details id="{_e(entry["id"])}"><summary>{_e(entry["id"])} — {_e(entry["title"])}</summary>']
    for w in entry.get("warnings") or []:
        parts.append(f'<div class="warn">{_e(w)}</div>')
    if entry["status"] == "error":
        parts.append(f'<p class="bad">Fel: {_e(entry["error"])}</p>')
    if result is None:
        return "".join(parts) + "</details>"
    systems = result.get("systems", {})
    agent = systems.get("agent", {})
    ref = systems.get("reference", {})
    draft_text = (agent.get("details") or {}).get("text", "")
    ref_text = (ref.get("details") or {}).get("text", "")
    a_sp = _e(_sp(entry, "agent"))
    parts.append(
        f"<p>Godtagna ståndpunkter: <b>{_e(', '.join(entry['accepted_standpoints']))}</b>; "
        f"kompetens: <b>{_e(COMPETENCE_SV.get(entry['competence'], entry['competence']))}</b>. "
        f"Agenten: <b>{a_sp}</b>, kompetens "
        f"<b>{_e(COMPETENCE_SV.get((agent.get('details') or {}).get('competence'), '–'))}</b>.</p>"
    )
    parts.append('<div class="pair">')
    parts.append(f'<div><h3>Utkastet</h3><div class="text">{_e(draft_text)}</div>')
    parts.append(_kp_list(agent.get("key_points", [])) + "</div>")
    parts.append(f'<div><h3>Det verkliga svaret</h3><div class="text">{_e(ref_text)}</div>')
    parts.append(_kp_list(ref.get("key_points", [])) + "</div>")
    parts.append("</div>")
    cites = (agent.get("details") or {}).get("citations", [])
    if cites:
        seen: list[str] = []
        for c in cites:
            label = f"{c['label'] or c['ref']} ({c['source_id'] or 'ej given källa'})"
            if label not in seen:
                seen.append(label)
        parts.append("<p><b>Utkastets hänvisningar:</b> " + "; ".join(_e(s) for s in seen) + "</p>")
    ver = (agent.get("details") or {}).get("verification") or {}
    if ver.get("unsupported_sentences"):
        items = "".join(f"<li>{_e(s)}</li>" for s in ver["unsupported_sentences"])
        parts.append(f"<p><b>Rättsliga påståenden utan hänvisning:</b></p><ul>{items}</ul>")
    srcs = (agent.get("details") or {}).get("sources", [])
    if srcs:
        items = "".join(f'<li>{_e(s["label"])} <span class="muted">({_e(s["id"])})</span></li>' for s in srcs)
        parts.append(
            f"<details><summary>Källor utkastet fick ({len(srcs)})</summary><ul>{items}</ul></details>"
        )
    retr = systems.get("retrieval", {})
    if retr:
        parts.append(
            "<details><summary>Endast sökning (baslinje): "
            f"{_e((retr.get('details') or {}).get('note', ''))}</summary>"
            f'<div class="text">{_e((retr.get("details") or {}).get("text", ""))}</div>'
            f"{_kp_list(retr.get('key_points', []))}</details>"
        )
    motion = "\n\n".join(result["case"].get("motion", []))
    parts.append(
        "<details><summary>Motionen (det agenten fick)</summary>"
        f'<div class="text">{_e(motion)}</div></details>'
    )
    return "".join(parts) + "</details>"


def render_html(report: dict[str, Any], results: dict[str, dict[str, Any]] | None = None) -> str:
    results = results or {}
    out = [
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Utvärdering av Remissagenten</title><style>{CSS}</style></head><body>",
        "<h1>Utvärdering av Remissagenten</h1><table>",
    ]
    for k, v in _settings_lines(report):
        out.append(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>")
    out.append("</table><h2>Sammanställning</h2>")
    out.append('<p class="muted">Medelvärde [95 % bootstrapintervall] (antal fall där måttet gäller).</p>')
    out.append("<table><tr><th>mått</th>" + "".join(f"<th>{_e(n)}</th>" for n in SYSTEMS.values()) + "</tr>")
    for label, cells in _metric_rows(report):
        out.append(
            f"<tr><td>{_e(label)}</td>" + "".join(f'<td class="num">{_e(c)}</td>' for c in cells) + "</tr>"
        )
    out.append(f"</table><p>{_e(_constant_line(report))}</p><ul>")
    out += [f"<li><b>{_e(SYSTEMS[s])}:</b> {_e(SYSTEM_NOTES[s])}</li>" for s in SYSTEMS]
    out.append(
        "</ul><h2>Per fall</h2><table><tr><th>fall</th><th>godtagna</th><th>agenten</th><th>kompetens</th>"
    )
    out += [f"<th>{_e(METRICS[k]['label'])}</th>" for k in CASE_COLUMNS[2:]]
    out.append("<th>nyckelp. verkligt svar</th><th>nyckelp. endast sökning</th><th>tid (s)</th></tr>")
    for c in report["cases"]:
        agent = c["systems"].get("agent", {})
        m = agent.get("metrics", {})
        ok = m.get("standpoint_acc")
        cls = "ok" if ok else "bad"
        comp_cls = "ok" if m.get("competence_acc") else "bad"
        error = " (fel)" if c["status"] == "error" else ""
        out.append(
            f'<tr><td><a href="#{_e(c["id"])}">{_e(c["id"])}</a>{error}</td>'
            f"<td>{_e(', '.join(c['accepted_standpoints']))}</td>"
            f'<td class="{cls}">{_e(_sp(c, "agent"))}</td>'
            f'<td class="{comp_cls}">{_e(COMPETENCE_SV.get(c["competence"], c["competence"]))} / '
            f"{_e(COMPETENCE_SV.get(agent.get('competence'), '–'))}</td>"
        )
        out += [f'<td class="num">{_e(fmt(m.get(k), k))}</td>' for k in CASE_COLUMNS[2:]]
        for system in ("reference", "retrieval"):
            v = c["systems"].get(system, {}).get("metrics", {}).get("keypoint_recall")
            out.append(f'<td class="num">{_e(fmt(v, "keypoint_recall"))}</td>')
        out.append(f'<td class="num">{_e(fmt(c.get("seconds"), "seconds"))}</td></tr>')
    out.append("</table>")
    if report["not_run"]:
        out.append(f'<p class="warn">Ej körda ännu: {_e(", ".join(report["not_run"]))}</p>')
    out.append("<h2>Utkast och verkliga svar</h2>")
    for c in report["cases"]:
        out.append(_case_detail(c, results.get(c["id"])))
    out.append('<p class="muted">Måtten beskrivs i evals/README.md i projektet.</p></body></html>\n')
    return "\n".join(out)
