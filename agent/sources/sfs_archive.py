"""Stream the SE-Lex statute book (`corpus/sfs/selex-sfs-*.tar.gz`) without extracting it.

Two archives, read together (`statute_archives`):

* the batch (`selex-sfs-batch-2025-07-17.tar.gz`): one `./YYYY/sfs-YYYY-NNN.md` per statute, current
  and repealed alike. Many files are front matter only (no statute text; ~5,200 of 8,317) and a few dozen
  are converter stubs ("Automatisk konvertering inte tillgänglig"); those are skipped with a reason.
* the updates (`selex-sfs-updates-2026-04-02.tar.gz`): 437 newer texts, `md-markers/YYYY/sfs-YYYY-NNN-
  markers.md`, the same Markdown with HTML `<section>`/`<article>` lines around the §§ (removed by
  `laws.strip_markup` when parsed). Members are named like the batch's (`YYYY/sfs-YYYY-NNN.md`).

**The newer text wins.** For an SFS number present in several archives, the one from the archive later in
the list (by the date in its name) is used when it has text; a front-matter-only file never replaces text.

"Current" rule (`current_only=True`), decided from the front matter of every file in a first pass:

1. Repealed: an entry of `andringsforfattningar` whose `anteckningar` is exactly `upph.` (the SFS
   register's note for "this amendment repeals the statute") and whose `ikraft_datum` is missing or on or
   before `IN_FORCE_ON` (2025-07-01); or an `utgar_datum` on or before that day (temporary statutes).
   (`upph. 5 §` and the like repeal single §§ and do not count.) Nothing else in the archive marks a
   whole statute as repealed: there is no "upphävd" field, and "Upphör att gälla" occurs only inside a
   handful of old §§.
   The day is the date of the newest archive (`archives_as_of`), so a repeal that took effect between
   the batch (2025-07-01) and the updates (2026-04-02) counts.
2. Superseded: statutes are grouped by title (the `rubrik` with any "(YYYY:NNN)" removed, case-folded,
   whitespace collapsed, trailing period dropped); only the newest SFS number (year, then number) of each
   title can be current. So the 2019 "Förordning med instruktion för Migrationsverket" (2019:502)
   supersedes the 2007 one even though the old file carries no repeal marker. If the newest of a title is
   repealed, the title has no current statute.

A statute that has no text in any archive is reported as such (`has_text` False) and is never
evidence. The second pass parses only the selected members. Each tarball is read twice (gzip stream),
which is cheaper than holding ~70 MB of text in memory.
"""

from __future__ import annotations

import logging
import re
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from agent.sources.laws import (
    IN_FORCE_ON,
    STUB_MARKER,
    LawFormatError,
    StubLawError,
    parse_selex_markdown,
    split_front_matter,
)
from agent.sources.models import LawParagraph

log = logging.getLogger(__name__)

INSTRUCTION_PREFIX = "förordning med instruktion för "  # of a title key (case-folded)
INSTRUCTION_MARK = "med instruktion för "  # in a law title: "Förordning med instruktion för Migrationsverket"
ArchivePaths = Path | Sequence[Path]
_MEMBER_RE = re.compile(r"(?:^|/)(\d{4})/(sfs-\d{4}-[^/]+?)(?:-markers)?\.md$")
_ARCHIVE_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def member_key(name: str) -> str:
    """`./2019/sfs-2019-502.md` and `md-markers/2019/sfs-2019-502-markers.md` -> `2019/sfs-2019-502.md`."""
    m = _MEMBER_RE.search(name)
    return f"{m.group(1)}/{m.group(2)}.md" if m else name.removeprefix("./")


def archive_date(archive: Path) -> date:
    """The snapshot date in an archive's name (`…-2026-04-02.tar.gz`); IN_FORCE_ON if it has none."""
    m = _ARCHIVE_DATE_RE.search(archive.name)
    return date(int(m[1]), int(m[2]), int(m[3])) if m else IN_FORCE_ON


def archives_as_of(archives: Sequence[Path]) -> date:
    return max([IN_FORCE_ON, *(archive_date(a) for a in archives)])


def statute_archives(sfs_dir: Path) -> list[Path]:
    """The statute archives in `sfs_dir` (`selex-sfs-*.tar.gz`), oldest snapshot first."""
    return sorted(sfs_dir.glob("selex-sfs-*.tar.gz"), key=lambda a: (archive_date(a), a.name))


def _as_list(archives: ArchivePaths) -> list[Path]:
    return [archives] if isinstance(archives, Path) else list(archives)


@dataclass(frozen=True)
class ArchiveEntry:
    """Front-matter facts about one archive member."""

    member: str  # "2019/sfs-2019-502.md" (the batch's naming, whichever archive it comes from)
    sfs: str
    rubrik: str
    title_key: str
    repealed: bool
    has_text: bool  # the file has a body beyond the front matter
    stub: bool
    archive: Path | None = None  # the archive whose text is used

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return sfs_sort_key(self.sfs)


def sfs_sort_key(sfs: str) -> tuple[int, int, str]:
    """`2019:502` -> (2019, 502, ""); odd numbers like `1902:71 s.1` sort by their leading digits."""
    m = re.match(r"\s*(\d{4}):(\d+)(.*)$", sfs)
    if not m:
        return (0, 0, sfs)
    return (int(m.group(1)), int(m.group(2)), m.group(3).strip())


def title_key(rubrik: str) -> str:
    """Normalised title used to find newer statutes with the same name."""
    t = re.sub(r"\(\s*\d{4}\s*:\s*\d+[^)]*\)", " ", rubrik)
    return re.sub(r"\s+", " ", t).strip().rstrip(".").strip().casefold()


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    return date(int(m[1]), int(m[2]), int(m[3])) if m else None


def is_repealed(meta: dict[str, Any], on: date = IN_FORCE_ON) -> bool:
    """Whole-statute repeal per the front matter (see module docstring, rule 1)."""
    until = _as_date(meta.get("utgar_datum"))
    if until is not None and until <= on:
        return True
    for change in meta.get("andringsforfattningar") or ():
        if not isinstance(change, dict):
            continue
        note = re.sub(r"\s+", " ", str(change.get("anteckningar") or "")).strip().strip('"').strip()
        if note.rstrip(".").casefold() == "upph":
            when = _as_date(change.get("ikraft_datum"))
            if when is None or when <= on:
                return True
    return False


def _iter_md_members(archive: Path) -> Iterator[tuple[str, str]]:
    """(member key, Markdown text) for every `.md` member, in archive order."""
    with tarfile.open(archive, "r|gz") as tar:
        for info in tar:
            if not info.isfile() or not info.name.endswith(".md"):
                continue
            fh = tar.extractfile(info)
            if fh is None:
                continue
            yield member_key(info.name), fh.read().decode("utf-8")


def scan_archive(archives: ArchivePaths) -> list[ArchiveEntry]:
    """First pass: front-matter facts about every statute, the newer text winning (module docstring).

    Order: the first archive's order, then members only the later archives hold.
    """
    paths = _as_list(archives)
    on = archives_as_of(paths)
    chosen: dict[str, ArchiveEntry] = {}
    for archive in paths:
        for name, text in _iter_md_members(archive):
            try:
                meta, body = split_front_matter(text)
            except LawFormatError as exc:
                log.warning("%s: %s", name, exc)
                continue
            rubrik = str(meta.get("rubrik") or "").strip()
            entry = ArchiveEntry(
                member=name,
                sfs=str(meta.get("beteckning") or "").strip(),
                rubrik=rubrik,
                title_key=title_key(rubrik),
                repealed=is_repealed(meta, on),
                has_text=bool(body.strip()) and STUB_MARKER not in body,
                stub=STUB_MARKER in body,
                archive=archive,
            )
            old = chosen.get(name)
            if old is None or entry.has_text or not old.has_text:
                chosen[name] = entry
    return list(chosen.values())


def current_entries(entries: list[ArchiveEntry]) -> list[ArchiveEntry]:
    """Entries that are in force: newest SFS number per title and not repealed (module docstring)."""
    newest: dict[str, ArchiveEntry] = {}
    for e in entries:
        best = newest.get(e.title_key)
        if best is None or e.sort_key > best.sort_key:
            newest[e.title_key] = e
    keep = {e.member for e in newest.values() if not e.repealed}
    return [e for e in entries if e.member in keep]


def _iter_chosen(paths: list[Path], wanted: dict[str, ArchiveEntry]) -> Iterator[tuple[str, str]]:
    """The members of `wanted`, each read from the archive its entry chose."""
    for archive in paths:
        for name, text in _iter_md_members(archive):
            entry = wanted.get(name)
            if entry is not None and entry.archive == archive:
                yield name, text


def iter_archive_laws(
    archive: ArchivePaths,
    *,
    current_only: bool = True,
    title_filter: Callable[[str], bool] | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> Iterator[tuple[str, list[LawParagraph]]]:
    """Yield (member name, paragraphs) for the statutes in the archive, in archive order.

    `title_filter` gets the front-matter `rubrik`. Members without usable text are not yielded; their
    (member, reason) is logged and, if given, appended to `skipped`. Reasons: "stub", "no text (front
    matter only)", "no § paragraphs", "not current", "format: ...".
    """
    paths = _as_list(archive)
    entries = scan_archive(paths)
    wanted_entries = current_entries(entries) if current_only else entries
    wanted = {e.member: e for e in wanted_entries if title_filter is None or title_filter(e.rubrik)}

    def skip(member: str, reason: str) -> None:
        log.debug("skipping %s: %s", member, reason)
        if skipped is not None:
            skipped.append((member, reason))

    if skipped is not None and current_only:
        for e in entries:
            if e.member not in wanted and (title_filter is None or title_filter(e.rubrik)):
                skipped.append((e.member, "not current"))
    for name, text in _iter_chosen(paths, wanted):
        entry = wanted[name]
        if entry.stub:
            skip(name, "stub")
            continue
        if not entry.has_text:
            skip(name, "no text (front matter only)")
            continue
        try:
            paragraphs = parse_selex_markdown(text, f"sfs/{name}")
        except StubLawError:
            skip(name, "stub")
            continue
        except LawFormatError as exc:
            skip(name, f"format: {exc}")
            continue
        if not paragraphs:
            skip(name, "no § paragraphs")
            continue
        yield name, paragraphs


def instruction_ordinances(archive: ArchivePaths) -> list[ArchiveEntry]:
    """Current "Förordning med instruktion för …" statutes (newest per title, not repealed), by SFS number.

    Many of them are front matter only in this archive (`has_text` False), so this returns the
    front-matter facts rather than parsed paragraphs; use `iter_archive_laws` for the text.
    """
    entries = current_entries(scan_archive(archive))
    found = [e for e in entries if e.title_key.startswith(INSTRUCTION_PREFIX)]
    return sorted(found, key=lambda e: e.sort_key)
