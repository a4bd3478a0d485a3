"""Validate evals/retrieval/gold.yaml against the statute texts in corpus/.

Parses the SE-Lex Markdown headings (`## N kap.`, `#### N §` / `### N §`) and the
`provision_ref`s of the JSON statutes just enough to know which paragraph ids exist, then
checks every `relevant` id in the gold set, the schema, and prints counts per category and
per law.

    python evals/retrieval/check_gold.py                 # validate gold.yaml
    python evals/retrieval/check_gold.py --show ID ...   # print the text of paragraphs
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
GOLD = Path(__file__).resolve().parent / "gold.yaml"

MD_LAWS = {
    "sfs-2017-725": "sfs/2017/sfs-2017-725.md",  # kommunallagen
    "sfs-2017-900": "sfs/2017/sfs-2017-900.md",  # förvaltningslagen
    "sfs-1974-152": "sfs/1974/sfs-1974-152.md",  # regeringsformen
    "sfs-2009-47": "sfs/2009/sfs-2009-47.md",  # lag om vissa kommunala befogenheter
    "sfs-1993-387": "sfs/1993/sfs-1993-387.md",  # LSS
    "sfs-1990-52": "sfs/1990/sfs-1990-52.md",  # LVU
    "sfs-2010-800": "sfs/2010/sfs-2010-800.md",  # skollagen
    "sfs-2010-900": "sfs/2010/sfs-2010-900.md",  # plan- och bygglagen
}
JSON_LAWS = {
    "sfs-2025-400": "lagar-json/socialtjanstlagen-2025.json",  # socialtjänstlagen
    "sfs-2009-400": "lagar-json/offentlighets-sekretesslagen.json",  # OSL
}
LAW_NAMES = {
    "sfs-2017-725": "KL",
    "sfs-2017-900": "FL",
    "sfs-1974-152": "RF",
    "sfs-2009-47": "2009:47",
    "sfs-1993-387": "LSS",
    "sfs-1990-52": "LVU",
    "sfs-2010-800": "skollagen",
    "sfs-2010-900": "PBL",
    "sfs-2025-400": "SoL",
    "sfs-2009-400": "OSL",
}
CATEGORIES = {"paraphrase", "terminology", "remiss", "exact"}

# A chapter heading; "## 7 kap. 23 §, eller" (a mis-converted line in skollagen 28 kap.) is not one.
KAP_RE = re.compile(r"^#{1,6}\s+(\d+(?:\s[a-z])?)\s+kap\.(?!.*§)")
PAR_RE = re.compile(r"^#{1,6}\s+(\d+(?:\s[a-z])?)\s+§\s*$")
HEAD_RE = re.compile(r"^#{1,6}\s")
LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def parse_markdown(law_id: str, path: Path) -> dict[str, str]:
    """Map paragraph id -> text for one SE-Lex Markdown statute."""
    lines = path.read_text(encoding="utf-8").splitlines()
    has_chapters = any(KAP_RE.match(ln) for ln in lines)
    out: dict[str, str] = {}
    chapter: str | None = None
    current: str | None = None
    buf: list[str] = []

    def flush() -> None:
        if current is not None:
            text = LINK_RE.sub(r"\1", "\n".join(buf)).strip()
            out[current] = out[current] + "\n\n[DUPLICATE]\n" + text if current in out else text

    for ln in lines:
        m = KAP_RE.match(ln)
        if m:
            flush()
            current, buf = None, []
            chapter = m.group(1).replace(" ", "")
            continue
        m = PAR_RE.match(ln)
        if m:
            flush()
            sec = m.group(1).replace(" ", "")
            current = f"{law_id}/{chapter}/{sec}" if has_chapters else f"{law_id}/{sec}"
            buf = []
            continue
        if HEAD_RE.match(ln):
            # mellanrubrik / övergångsbestämmelser end the paragraph body
            flush()
            current, buf = None, []
            continue
        if current is not None:
            buf.append(ln)
    flush()
    return out


def parse_json(law_id: str, path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for p in data["provisions"]:
        chap, sec = p.get("chapter"), str(p["section"]).replace(" ", "")
        pid = f"{law_id}/{chap}/{sec}" if chap else f"{law_id}/{sec}"
        text = p.get("content", "")
        # The JSON sometimes hides a § inside its neighbour, leaving an entry that starts
        # mid-sentence ("§ lagen ...", ". Beslut ..."); such entries are flagged.
        if not (text[:1].isupper() or text.startswith("/")):
            text = "[FRAGMENT]\n" + text
        out[pid] = out[pid] + "\n\n[DUPLICATE]\n" + text if pid in out else text
    return out


def load_corpus() -> dict[str, str]:
    ids: dict[str, str] = {}
    for law_id, rel in MD_LAWS.items():
        ids.update(parse_markdown(law_id, CORPUS / rel))
    for law_id, rel in JSON_LAWS.items():
        ids.update(parse_json(law_id, CORPUS / rel))
    return ids


def check(gold_path: Path) -> int:
    corpus = load_corpus()
    data = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    queries = data["queries"]
    errors: list[str] = []
    seen_ids: set[str] = set()
    seen_queries: set[str] = set()
    per_cat: Counter[str] = Counter()
    per_law_best: Counter[str] = Counter()
    per_law_any: Counter[str] = Counter()
    for q in queries:
        qid = q.get("id")
        if not qid or qid in seen_ids:
            errors.append(f"missing or duplicate id: {qid!r}")
        seen_ids.add(qid)
        cat = q.get("category")
        if cat not in CATEGORIES:
            errors.append(f"{qid}: bad category {cat!r}")
        per_cat[cat] += 1
        text = (q.get("query") or "").strip()
        if not text:
            errors.append(f"{qid}: empty query")
        if text.lower() in seen_queries:
            errors.append(f"{qid}: duplicate query text")
        seen_queries.add(text.lower())
        rel = q.get("relevant") or []
        if not isinstance(rel, list) or not 1 <= len(rel) <= 3:
            errors.append(f"{qid}: relevant must be a list of 1-3 ids, got {rel!r}")
            continue
        if len(set(rel)) != len(rel):
            errors.append(f"{qid}: duplicate relevant ids")
        if cat == "exact" and len(rel) != 1:
            errors.append(f"{qid}: exact queries must have exactly one relevant id")
        for pid in rel:
            if pid not in corpus:
                errors.append(f"{qid}: id {pid} not found in corpus")
            elif "[DUPLICATE]" in corpus[pid]:
                errors.append(f"{qid}: id {pid} is ambiguous (occurs twice in source)")
            elif corpus[pid].startswith("[FRAGMENT]"):
                errors.append(f"{qid}: id {pid} is a fragment entry in the JSON source")
            elif len(corpus[pid].strip()) < 20:
                errors.append(f"{qid}: id {pid} has (almost) no text in source")
        law = rel[0].split("/")[0]
        per_law_best[LAW_NAMES.get(law, law)] += 1
        for law in {r.split("/")[0] for r in rel}:
            per_law_any[LAW_NAMES.get(law, law)] += 1

    print(f"{len(queries)} queries, {len(corpus)} paragraph ids in corpus")
    print("per category:", dict(sorted(per_cat.items())))
    print("per law (first relevant id):", dict(per_law_best.most_common()))
    print("per law (any relevant id):  ", dict(per_law_any.most_common()))
    if errors:
        print(f"\n{len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--show", nargs="+", metavar="ID", help="print the text of these paragraph ids")
    args = ap.parse_args()
    if args.show:
        corpus = load_corpus()
        for pid in args.show:
            print(f"=== {pid}\n{corpus.get(pid, '<<NOT FOUND>>')}\n")
        return 0
    return check(args.gold)


if __name__ == "__main__":
    sys.exit(main())
