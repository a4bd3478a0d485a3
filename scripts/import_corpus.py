"""Copy the project's corpus from the read-only shared data folder into `corpus/`.

A developer tool, run once when the corpus changes; the product never reads the shared
folder at run time. For every copied file it records source, upstream commit/address,
date and sha256 in `corpus/MANIFEST.json`.

    python scripts/import_corpus.py ../shared/corpus
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

SELEX = {
    "upstream": "github.com/se-lex/sfs",
    "branch": "batch-2025-07-17",
    "commit": "aaf6164464962da7b6bf9c0d496144db25403aac",
    "licence": "MIT (conversion); statute text public domain (1 kap. 9 § URL)",
    "date": "2025-07-01 (consolidated text in force)",
}
LAGAR_JSON = {
    "upstream": "github.com/Ansvar-Systems/swedish-law-mcp data/seed/*.json",
    "commit": "0cd63338c6df",
    "licence": "Apache-2.0 (packaging); statute text public domain, from Riksdagens öppna data",
    "date": "2025-07-01 (in force)",
}
ARCHIVE = "selex-sfs-batch-2025-07-17.tar.gz"

# The laws of the default corpus that are taken from the SE-Lex Markdown archive.
# (Socialtjänstlagen 2025:400 and OSL 2009:400 are stubs there and come from lagar-json/.)
MARKDOWN_LAWS = [
    "2017/sfs-2017-725.md",  # kommunallagen
    "2017/sfs-2017-900.md",  # förvaltningslagen
    "1974/sfs-1974-152.md",  # regeringsformen
    "2009/sfs-2009-47.md",  # lag om vissa kommunala befogenheter
    "1993/sfs-1993-387.md",  # LSS
    "1990/sfs-1990-52.md",  # LVU
    "2010/sfs-2010-800.md",  # skollagen
    "2010/sfs-2010-900.md",  # plan- och bygglagen
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def remissvar_address(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("KÄLLA:").strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shared_corpus", type=Path, help="path to ../shared/corpus")
    args = parser.parse_args()
    src: Path = args.shared_corpus.resolve()
    entries: list[dict[str, str]] = []

    def record(dest: Path, source: str, provenance: dict[str, str]) -> None:
        entries.append(
            {
                "path": dest.relative_to(CORPUS).as_posix(),
                "source": source,
                **provenance,
                "sha256": sha256(dest),
            }
        )

    # The whole statute book, kept packed: the scale run and `--sfs` options read it.
    (CORPUS / "sfs").mkdir(parents=True, exist_ok=True)
    archive_dest = CORPUS / "sfs" / ARCHIVE
    shutil.copyfile(src / "sfs" / ARCHIVE, archive_dest)
    record(archive_dest, f"shared/corpus/sfs/{ARCHIVE}", SELEX)

    with tarfile.open(src / "sfs" / ARCHIVE) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers() if m.isfile()}
        for name in MARKDOWN_LAWS:
            dest = CORPUS / "sfs" / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = tar.extractfile(members[name])
            assert data is not None
            dest.write_bytes(data.read())
            record(dest, f"shared/corpus/sfs/{ARCHIVE}!{name}", SELEX)

    for path in sorted((src / "lagar-json").glob("*.json")):
        dest = CORPUS / "lagar-json" / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        record(dest, f"shared/corpus/lagar-json/{path.name}", LAGAR_JSON)

    for path in sorted((src / "remissvar").glob("*.txt")):
        dest = CORPUS / "remissvar" / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        record(
            dest,
            f"shared/corpus/remissvar/{path.name}",
            {
                "upstream": remissvar_address(path),
                "licence": "public domain (authority's document, 1 kap. 9 § URL)",
                "date": "see KÄLLA line",
            },
        )

    manifest = {
        "description": "Provenance of every file under corpus/ (written by scripts/import_corpus.py)",
        "files": entries,
    }
    (CORPUS / "MANIFEST.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(f"{len(entries)} filer kopierade till {CORPUS}")


if __name__ == "__main__":
    main()
