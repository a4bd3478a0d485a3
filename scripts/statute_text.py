"""Print the current text of statutes from the SE-Lex archives in corpus/sfs/ (a developer tool).

For writing and checking atlas entries: which statutes have text, and what a § says, with the id the
index gives it (`sfs-2019-502/1`, `sfs-2017-725/2/2`).

    python scripts/statute_text.py 2019:502            # every § of the instruction for Migrationsverket
    python scripts/statute_text.py 2017:725 --ref 2:2  # one §
    python scripts/statute_text.py --find "instruktion för Trafikverket"   # titles, SFS, text or not
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.sources.sfs_archive import (  # noqa: E402
    current_entries,
    iter_archive_laws,
    scan_archive,
    statute_archives,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sfs", nargs="?", help="SFS number, e.g. 2019:502")
    parser.add_argument("--ref", help="one §: 'K:P' for laws with chapters, 'P' without (e.g. 2:2, 1, 3a)")
    parser.add_argument("--find", help="case-insensitive part of a title")
    parser.add_argument("--all", action="store_true", help="with --find: also repealed/superseded titles")
    args = parser.parse_args()
    archives = statute_archives(ROOT / "corpus" / "sfs")
    if args.find:
        entries = scan_archive(archives)
        current = {e.member for e in current_entries(entries)}
        for e in sorted(entries, key=lambda e: e.sort_key):
            if args.find.casefold() in e.rubrik.casefold() and (args.all or e.member in current):
                state = "gällande" if e.member in current else "upphävd/ersatt"
                text = "text" if e.has_text else "ENDAST RUBRIK"
                print(f"{e.sfs:12} {state:15} {text:14} {e.rubrik}")
        return
    if not args.sfs:
        parser.error("ange ett SFS-nummer eller --find")
    wanted = args.sfs.strip()
    titles = {e.rubrik for e in scan_archive(archives) if e.sfs == wanted}
    for _name, paragraphs in iter_archive_laws(
        archives, current_only=False, title_filter=titles.__contains__
    ):
        if paragraphs[0].sfs != wanted:
            continue
        for p in paragraphs:
            ref = f"{p.chapter}:{p.section}" if p.chapter else p.section
            if args.ref and ref.replace(" ", "") != args.ref.replace(" ", ""):
                continue
            print(f"[{p.id}] {p.label}\n{p.text}\n")
        return
    print(f"{wanted}: ingen text i arkiven (saknas eller endast rubrik)", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
