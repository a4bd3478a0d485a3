"""Tests for the statute parsers (agent/sources/laws/, agent/sources/sfs_archive.py)."""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
from pathlib import Path

import pytest

from agent.sources.laws import (
    LawSpecError,
    StubLawError,
    citation_name,
    comparable_text,
    compare_law_versions,
    load_default_laws,
    load_law_file,
    load_law_specs,
    parse_law_json,
    parse_selex_markdown,
)
from agent.sources.models import LawParagraph
from agent.sources.sfs_archive import instruction_ordinances, iter_archive_laws

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ARCHIVE = CORPUS / "sfs" / "selex-sfs-batch-2025-07-17.tar.gz"
KL = "sfs-2017-725"

# KL §§ whose JSON text is cut short upstream (text after an "N kap." reference is lost); the Markdown
# has the full text. Everything else in KL agrees after whitespace/dash normalisation.
KL_JSON_TRUNCATED = {f"{KL}/{r}" for r in ("4/29", "6/33", "6/38", "7/4", "9/28", "10/5", "12/12", "12/14")}


@pytest.fixture(scope="module")
def default_laws() -> list[LawParagraph]:
    return load_default_laws(CORPUS)


@pytest.fixture(scope="module")
def by_id(default_laws: list[LawParagraph]) -> dict[str, LawParagraph]:
    return {p.id: p for p in default_laws}


@pytest.fixture(scope="module")
def kl_md() -> list[LawParagraph]:
    return load_law_file(CORPUS, "sfs/2017/sfs-2017-725.md", "md")


@pytest.fixture(scope="module")
def kl_json() -> list[LawParagraph]:
    return load_law_file(CORPUS, "lagar-json/kommunallagen.json", "json")


def _md(body: str, sfs: str = "2099:1", rubrik: str = "Lag om provning", extra_meta: str = "") -> str:
    return f"---\nbeteckning: {sfs}\nrubrik: {rubrik}\n{extra_meta}---\n\n# {rubrik}\n\n{body}"


# --- default law set -----------------------------------------------------------------------------


def test_default_set_includes_the_state_authorities_instructions(default_laws: list[LawParagraph]) -> None:
    """The evidence for "a matter for the state" (2 kap. 2 § KL): current instructions with § text."""
    names = {p.law_name for p in default_laws if p.law_title.startswith("Förordning med instruktion")}
    assert len(names) >= 40
    assert "förordningen (2022:1719) med instruktion för Säkerhetspolisen" in names
    assert "förordningen (2022:1718) med instruktion för Polismyndigheten" in names
    # Repealed predecessors are not in the set (2007:996 was replaced by 2019:502 for Migrationsverket).
    assert not any(p.sfs == "2007:996" for p in default_laws)


def test_default_set_loads_complete_and_unique(default_laws: list[LawParagraph]) -> None:
    start = time.perf_counter()
    again = load_default_laws(CORPUS)
    assert time.perf_counter() - start < 20.0  # hang guard, not a speed target
    assert [p.id for p in again] == [p.id for p in default_laws]  # stable order
    assert len({p.id for p in default_laws}) == len(default_laws)
    laws = {p.sfs for p in default_laws if not p.law_title.startswith("Förordning med instruktion")}
    atlas_laws = {spec.sfs for spec in load_law_specs(CORPUS, "atlas-laws.yaml")}
    assert laws - atlas_laws == {
        "2017:725",
        "2017:900",
        "1974:152",
        "2009:47",
        "2025:400",
        "2009:400",
        "1993:387",
        "1990:52",
        "2010:800",
        "2010:900",
    }
    assert atlas_laws <= laws  # every statute the ansvarsatlas cites beyond these, each with its text
    for p in default_laws:
        assert p.text.strip(), p.id
        # no Markdown link syntax left (brackets themselves occur in statute text: "ADR [SÖ 1974:9]")
        assert not re.search(r"\[[^\]]*\]\(", p.text) and "](" not in p.text, p.id
        assert "Övergångsbestämmelser" not in p.text, p.id
        assert p.to_document().id == p.id


def _write_law_list(tmp_path: Path, text: str) -> Path:
    (tmp_path / "laws.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_law_specs_are_read_with_defaults(tmp_path: Path) -> None:
    corpus = _write_law_list(
        tmp_path,
        'laws:\n  - sfs: "2017:725"\n    file: a.md\n    format: md\n    abbreviations:\n'
        '  - sfs: "2009:400"\n    file: b.json\n    format: json\n    abbreviations: [OSL]\n'
        "    complement_from: c.json\n    complement_only: ['4:8']\n",
    )
    first, second = load_law_specs(corpus)
    assert (first.sfs, first.file, first.format, first.abbreviations) == ("2017:725", "a.md", "md", ())
    assert (first.complement_from, first.complement_only) == (None, ())
    assert (second.abbreviations, second.complement_from, second.complement_only) == (
        ("OSL",),
        "c.json",
        ("4:8",),
    )


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('  - sfs: "2017:725"\n    file: a.md\n', "laws.0.format"),  # missing key
        ('  - sfs: "2017:725"\n    file: a.md\n    format: pdf\n', "laws.0.format"),
        ("  - sfs: 2009:47\n    file: a.md\n    format: md\n", "laws.0.sfs"),  # YAML 1.1: the integer 120587
        ('  - sfs: "2017:725"\n    file: a.md\n    format: md\n    abbrevations: [KL]\n', "abbrevations"),
        (
            '  - sfs: "2017:725"\n    file: a.md\n    format: md\n    complement_only: ["8"]\n',
            "complement_only",
        ),
    ],
)
def test_law_spec_errors_name_the_file_and_the_field(tmp_path: Path, entry: str, problem: str) -> None:
    corpus = _write_law_list(tmp_path, "laws:\n" + entry)
    with pytest.raises(LawSpecError, match=r"^laws\.yaml: ") as info:
        load_law_specs(corpus)
    assert problem in str(info.value)


def test_kl_complete(by_id: dict[str, LawParagraph], default_laws: list[LawParagraph]) -> None:
    kl = [p for p in default_laws if p.law_id == KL]
    assert {p.chapter for p in kl} == {str(i) for i in range(1, 14)}
    assert f"{KL}/4/8" in by_id and f"{KL}/13/15" in by_id
    assert by_id[f"{KL}/4/8"].source == "lagar-json/kommunallagen.json"
    assert by_id[f"{KL}/4/8"].chapter_title == by_id[f"{KL}/4/7"].chapter_title
    ids = [p.id for p in kl]
    assert ids.index(f"{KL}/4/8") == ids.index(f"{KL}/4/7") + 1  # slotted in place
    assert ids[-1] == f"{KL}/13/15"
    assert by_id[f"{KL}/2/1"].text == (
        "Kommuner och regioner får själva ha hand om angelägenheter av allmänt intresse som har anknytning "
        "till kommunens eller regionens område eller deras medlemmar. Lag (2019:835)."
    )
    assert by_id[f"{KL}/2/2"].text == (
        "Kommuner och regioner får inte ha hand om sådana angelägenheter som enbart staten, en annan kommun, "
        "en annan region eller någon annan ska ha hand om. Lag (2019:835)."
    )
    assert not by_id[f"{KL}/13/15"].text.endswith("Övergångsbestämmelser")
    assert by_id[f"{KL}/13/15"].text.endswith("Ett beslut om rättelse ska meddelas utan oskäligt dröjsmål.")


def test_labels_ids_and_metadata(by_id: dict[str, LawParagraph]) -> None:
    p = by_id[f"{KL}/2/2"]
    assert p.label == "2 kap. 2 § kommunallagen (2017:725)"
    assert p.law_title == "Kommunallag"
    assert p.chapter_title == "Kommunala angelägenheter"
    assert p.rubrik == "Uppgifter som andra ska ha hand om"
    assert p.source == "sfs/2017/sfs-2017-725.md"
    lvkb = by_id["sfs-2009-47/1/1"]
    assert lvkb.label == "1 kap. 1 § lagen (2009:47) om vissa kommunala befogenheter"
    lvu = by_id["sfs-1990-52/1"]
    assert (
        lvu.chapter is None and lvu.label == "1 § lagen (1990:52) med särskilda bestämmelser om vård av unga"
    )
    assert by_id["sfs-1974-152/1/1"].label == "1 kap. 1 § regeringsformen"
    assert by_id["sfs-2025-400/1/1"].label == "1 kap. 1 § socialtjänstlagen (2025:400)"
    assert by_id["sfs-2009-400/1/1"].label == "1 kap. 1 § offentlighets- och sekretesslagen (2009:400)"


def test_a_paragraphs(by_id: dict[str, LawParagraph]) -> None:
    p = by_id[f"{KL}/4/18a"]
    assert p.section == "18 a"
    assert p.label == "4 kap. 18 a § kommunallagen (2017:725)"
    assert by_id["sfs-2009-400/6/1a"].section == "1 a"


def test_points_kl_1_7(by_id: dict[str, LawParagraph]) -> None:
    p = by_id[f"{KL}/1/7"]
    assert len(p.stycken) == 2
    first = p.stycken[0]
    assert first.text.endswith("senast på valdagen fyller 18 år och")
    assert first.points == (
        "1. är svensk medborgare eller annan unionsmedborgare,",
        "2. är medborgare i Island eller Norge, eller",
        "3. varit folkbokförd i Sverige tre år i följd före valdagen.",
    )
    assert p.stycken[1].points == ()


def test_link_stripping(by_id: dict[str, LawParagraph]) -> None:
    assert by_id[f"{KL}/1/9"].text.startswith("Frågor om rösträtt enligt 7 och 8 §§ avgörs")
    assert "Lag (2019:835)." in by_id[f"{KL}/1/1"].text
    assert "enligt 5 § andra stycket folkbokföringslagen (1991:481)" in by_id[f"{KL}/1/5"].text


def test_plain_text_heading_moves_to_next_rubrik(by_id: dict[str, LawParagraph]) -> None:
    # SE-Lex writes some mellanrubriker as a plain line at the end of the previous §
    assert by_id[f"{KL}/4/27"].text.endswith("Reservationen ska anmälas innan sammanträdet avslutas.")
    assert by_id[f"{KL}/4/28"].rubrik == "Närvarorätt"


def test_converter_debris_in_section_heading(by_id: dict[str, LawParagraph]) -> None:
    # "#### /2008 av den 9 juli 2008 om ... (EEG) nr 339/ 21 §" (PBL 8 kap.), "/1020 av ... 26 a §" (11 kap.)
    wanted = {"8/21", "8/22", "8/25", "11/26a"}
    assert {f"sfs-2010-900/{r}" for r in wanted} <= set(by_id)


def test_unmarked_duplicate_keeps_newest_version(by_id: dict[str, LawParagraph]) -> None:
    text = by_id["sfs-2009-47/5/4"].text
    assert text.startswith("Kommuner och regioner får lämna bistånd") and text.endswith("Lag (2019:935).")


# --- Markdown details ----------------------------------------------------------------------------


def test_version_markers_keep_version_in_force() -> None:
    body = (
        "### 1 §\n\n/Upphör att gälla U:2026-07-01/ Gammal lydelse.\n\n"
        "### 1 §\n\n/Träder i kraft I:2026-07-01/ Ny lydelse.\n\n"
        "### 2 §\n\n/Träder i kraft I:2024-01-01/ Redan gällande.\n\n"
        "### 3 §\n\n/Upphör att gälla U:2025-01-01/ Upphävd lydelse.\n\n"
        "### 3 §\n\n/Träder i kraft I:2025-01-01/ Gällande lydelse.\n\n"
        "### 4 §\n\nHar upphävts genom lag (2020:1).\n\n"
        "## Övergångsbestämmelser\n\n### 2020:1\n\n1. Denna lag träder i kraft den 1 januari 2021.\n"
    )
    ps = parse_selex_markdown(_md(body), "sfs/2099/sfs-2099-1.md")
    assert [(p.section, p.text) for p in ps] == [
        ("1", "Gammal lydelse."),
        ("2", "Redan gällande."),
        ("3", "Gällande lydelse."),
    ]
    assert ps[0].id == "sfs-2099-1/1"


def test_stub_raises() -> None:
    stub = _md("**Automatisk konvertering inte tillgänglig**\n\nDokumentet innehåller AVDELNING-struktur.\n")
    with pytest.raises(StubLawError):
        parse_selex_markdown(stub, "sfs/2099/sfs-2099-1.md")


def test_yaml_sexagesimal_beteckning() -> None:
    ps = parse_selex_markdown(_md("### 1 §\n\nText.\n", sfs="2009:47"), "x.md")
    assert ps[0].sfs == "2009:47" and ps[0].law_id == "sfs-2009-47"


# --- JSON ----------------------------------------------------------------------------------------


def test_json_resplits_multi_paragraph_entries(kl_json: list[LawParagraph]) -> None:
    ids = {p.id for p in kl_json}
    for sec in range(18, 26):
        assert f"{KL}/7/{sec}" in ids
    assert f"{KL}/7/28" not in ids
    assert {f"{KL}/11/22", f"{KL}/11/23", f"{KL}/11/24"} <= ids
    j = {p.id: p for p in kl_json}
    assert j[f"{KL}/7/17"].text.endswith("Lag (2023:642).")
    assert "6 kap. 28 § 4 enbart på grund av" in j[f"{KL}/7/17"].text  # swallowed "28 §" restored
    assert j[f"{KL}/7/20"].rubrik == "Partssammansatta organ"
    assert j[f"{KL}/7/18"].text.startswith("Personalföreträdarna ska kallas")
    assert j[f"{KL}/11/22"].rubrik == "Förbud mot pantsättning"
    assert j[f"{KL}/11/21"].text.endswith("enligt 5 kap. 24 §.")


def test_json_glued_heading_moves_to_next(kl_json: list[LawParagraph]) -> None:
    j = {p.id: p for p in kl_json}
    assert j[f"{KL}/1/2"].text.endswith("Lag (2019:835).")
    assert j[f"{KL}/1/3"].rubrik == "Rätt att ta ut skatt och meddela föreskrifter"
    assert j[f"{KL}/1/2"].rubrik == "Kommuner och regioner"  # carried forward from the `title`
    assert f"{KL}/11/4" not in j  # "Har upphävts genom lag (2023:642)."


def test_json_points_split_when_unambiguous(kl_json: list[LawParagraph]) -> None:
    p = {x.id: x for x in kl_json}[f"{KL}/1/7"]
    assert p.stycken[0].points[0] == "1. är svensk medborgare eller annan unionsmedborgare,"
    assert len(p.stycken[0].points) == 3


def test_kl_markdown_and_json_agree(kl_md: list[LawParagraph], kl_json: list[LawParagraph]) -> None:
    cmp = compare_law_versions(kl_md, kl_json)
    assert cmp.only_in_md == ()
    assert set(cmp.only_in_json) == {f"{KL}/4/8", f"{KL}/13/15"}
    assert {pid for pid, _, _ in cmp.text_mismatches} == KL_JSON_TRUNCATED
    for _, md_text, js_text in cmp.text_mismatches:  # each residual is a JSON truncation
        assert md_text.startswith(js_text)
        assert len(md_text) > len(js_text)


def test_json_mis_split_fragments_synthetic() -> None:
    data = {
        "id": "2099:2",
        "title": "Provlag (2099:2)",
        "provisions": [
            {
                "provision_ref": "1:1",
                "chapter": "1",
                "section": "1",
                "title": "Början",
                "content": "Ett. Mitten",
            },
            {"provision_ref": "1:2", "chapter": "1", "section": "2", "content": "Se 2 kap."},
            {"provision_ref": "1:9", "chapter": "1", "section": "9", "content": "§ lagen. Slut 3 § Tre."},
            {
                "provision_ref": "1:4",
                "chapter": "1",
                "section": "4",
                "content": "Fyra. Övergångsbestämmelser 2099:2 1. Denna lag träder i kraft.",
            },
        ],
    }
    ps = parse_law_json(data, "lagar-json/x.json")
    assert [(p.section, p.text, p.rubrik) for p in ps] == [
        ("1", "Ett.", "Början"),
        ("2", "Se 2 kap. 9 §§ lagen.", "Mitten"),
        ("3", "Tre.", "Slut"),
        ("4", "Fyra.", "Slut"),
    ]
    assert ps[0].law_name == "provlagen (2099:2)"


def test_sol_and_osl_chapter_coverage(
    by_id: dict[str, LawParagraph], default_laws: list[LawParagraph]
) -> None:
    sol = [p for p in default_laws if p.sfs == "2025:400"]
    osl = [p for p in default_laws if p.sfs == "2009:400"]
    assert {p.chapter for p in sol} == {str(i) for i in range(1, 36)}
    assert {p.chapter for p in osl} == {str(i) for i in range(1, 45)}
    assert len(sol) > 280 and len(osl) > 600
    # SoL 35 kap.: "35:4"/"35:5" were fragments of 1 §'s point list
    sol35 = comparable_text(by_id["sfs-2025-400/35/1"].text)
    assert "enligt 24 kap. 4 §, 7. samtycke" in sol35 and "enligt 24 kap. 5 §, 8. ansökan" in sol35
    assert len(by_id["sfs-2025-400/35/1"].stycken[0].points) == 9
    assert [p.section for p in sol if p.chapter == "35"] == ["1", "2", "3", "4", "5"]
    assert by_id["sfs-2025-400/35/2"].rubrik == "Beslut av Inspektionen för vård och omsorg"
    # OSL 34 kap. 1 a § appeared as chapter "4"
    assert "sfs-2009-400/34/1a" in by_id and "sfs-2009-400/4/1a" not in by_id
    # OSL 42:5 has two versions; the one in force on 2025-07-01 is kept, markers removed
    assert by_id["sfs-2009-400/42/5"].text.startswith("Sekretess gäller hos Säkerhets- och integritetsskydds")
    assert "/" not in by_id["sfs-2009-400/42/5"].text
    assert by_id["sfs-2009-400/44/5"].text.endswith("Lag (2024:1147).")


def test_comparable_text() -> None:
    assert comparable_text("a–b\n\n1. x") == "a-b 1. x"


# --- citation names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rubrik", "sfs", "expected"),
    [
        ("Kommunallag", "2017:725", "kommunallagen (2017:725)"),
        ("Förvaltningslag", "2017:900", "förvaltningslagen (2017:900)"),
        ("Offentlighets- och sekretesslag", "2009:400", "offentlighets- och sekretesslagen (2009:400)"),
        ("Lag om vissa kommunala befogenheter", "2009:47", "lagen (2009:47) om vissa kommunala befogenheter"),
        (
            "Lag med särskilda bestämmelser om vård av unga",
            "1990:52",
            "lagen (1990:52) med särskilda bestämmelser om vård av unga",
        ),
        (
            "Förordning med instruktion för Migrationsverket",
            "2019:502",
            "förordningen (2019:502) med instruktion för Migrationsverket",
        ),
        ("Brottsbalk", "1962:700", "brottsbalken (1962:700)"),
        ("Kungörelse om beslutad ny regeringsform", "1974:152", "regeringsformen"),
        ("Skollag", "2010:800", "skollagen (2010:800)"),
        ("Plan- och bygglag", "2010:900", "plan- och bygglagen (2010:900)"),
        ("Socialtjänstlag", "2025:400", "socialtjänstlagen (2025:400)"),
        ("Socialtjänstlag (2025:400)", "2025:400", "socialtjänstlagen (2025:400)"),
        ("Lag (1993:387) om stöd och service till vissa funktionshindrade", "1993:387", None),
    ],
)
def test_citation_name(rubrik: str, sfs: str, expected: str | None) -> None:
    expected = expected or "lagen (1993:387) om stöd och service till vissa funktionshindrade"
    assert citation_name(rubrik, sfs) == expected


# --- archive -------------------------------------------------------------------------------------


def _add(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def test_archive_iterator_tiny(tmp_path: Path) -> None:
    archive = tmp_path / "batch.tar.gz"
    instr = "Förordning med instruktion för Provverket"
    repeal = (
        'andringsforfattningar:\n  - beteckning: "2012:9"\n    rubrik: "Lag (2012:9) om upphävande"\n'
        "    ikraft_datum: 2013-01-01\n    anteckningar: upph.\n"
    )
    future_repeal = repeal.replace("2013-01-01", "2030-01-01")
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "./2007/sfs-2007-1.md", _md("### 1 §\n\nGammal.\n", sfs="2007:1", rubrik=instr))
        _add(tar, "./2019/sfs-2019-2.md", _md("### 1 §\n\nNy.\n", sfs="2019:2", rubrik=instr))
        _add(tar, "./2019/sfs-2019-3.md", _md("**Automatisk konvertering inte tillgänglig**\n", sfs="2019:3"))
        _add(tar, "./2010/sfs-2010-4.md", _md("### 1 §\n\nUpphävd.\n", "2010:4", "Lag om x", repeal))
        _add(tar, "./2011/sfs-2011-5.md", _md("### 1 §\n\nSnart.\n", "2011:5", "Lag om y", future_repeal))
        _add(tar, "./2012/sfs-2012-6.md", "---\nbeteckning: 2012:6\nrubrik: Lag om z\n---")
    skipped: list[tuple[str, str]] = []
    got = dict(iter_archive_laws(archive, skipped=skipped))
    assert set(got) == {"2019/sfs-2019-2.md", "2011/sfs-2011-5.md"}
    assert got["2019/sfs-2019-2.md"][0].text == "Ny."
    assert got["2019/sfs-2019-2.md"][0].law_name == "förordningen (2019:2) med instruktion för Provverket"
    reasons = dict(skipped)
    assert reasons["2019/sfs-2019-3.md"] == "stub"
    assert reasons["2007/sfs-2007-1.md"] == "not current"
    assert reasons["2010/sfs-2010-4.md"] == "not current"
    assert reasons["2012/sfs-2012-6.md"].startswith("no text")
    everything = dict(iter_archive_laws(archive, current_only=False))
    assert "2007/sfs-2007-1.md" in everything and "2010/sfs-2010-4.md" in everything
    only = dict(iter_archive_laws(archive, title_filter=lambda t: t.startswith("Lag om")))
    assert set(only) == {"2011/sfs-2011-5.md"}
    assert [e.sfs for e in instruction_ordinances(archive)] == ["2019:2"]


def _markers(body: str, sfs: str, rubrik: str, extra_meta: str = "") -> str:
    """The SE-Lex "md-markers" format of the updates archive: <section> lines around each §."""
    sections = "".join(
        f'<section id="{n}" class="paragraf">\n\n### {n} §\n\n{text}\n\n</section>\n'
        for n, text in enumerate(body.split("|"), start=1)
    )
    front = f"---\nbeteckning: {sfs}\nrubrik: {rubrik}\n{extra_meta}---\n"
    return f"{front}<article>\n\n# {rubrik}\n\n{sections}</article>\n"


def test_updates_archive_newer_text_wins(tmp_path: Path) -> None:
    batch, updates = (
        tmp_path / "selex-sfs-batch-2025-07-17.tar.gz",
        tmp_path / "selex-sfs-updates-2026-04-02.tar.gz",
    )
    instr = "Förordning med instruktion för Provverket"
    repeal_2026 = "\n".join(
        [
            "andringsforfattningar:",
            '  - beteckning: "2026:1"',
            "    ikraft_datum: 2026-01-01",
            "    anteckningar: upph.",
            "",
        ]
    )
    with tarfile.open(batch, "w:gz") as tar:
        _add(tar, "./2019/sfs-2019-2.md", f"---\nbeteckning: 2019:2\nrubrik: {instr}\n---\n")  # no text
        _add(tar, "./2010/sfs-2010-4.md", _md("### 1 §\n\nGammal lydelse.\n", "2010:4", "Lag om x"))
        _add(tar, "./2011/sfs-2011-5.md", _md("### 1 §\n\nBatchtext.\n", "2011:5", "Lag om y"))
        _add(tar, "./2012/sfs-2012-6.md", _md("### 1 §\n\nGäller.\n", "2012:6", "Lag om z"))
    with tarfile.open(updates, "w:gz") as tar:
        _add(
            tar,
            "md-markers/2019/sfs-2019-2-markers.md",
            _markers("Verket ansvarar för prov.|Andra.", "2019:2", instr),
        )
        _add(tar, "md-markers/2010/sfs-2010-4-markers.md", _markers("Ny lydelse.", "2010:4", "Lag om x"))
        _add(tar, "md-markers/2011/sfs-2011-5-markers.md", "---\nbeteckning: 2011:5\nrubrik: Lag om y\n---\n")
        _add(
            tar,
            "md-markers/2012/sfs-2012-6-markers.md",
            _markers("Upphävd 2026.", "2012:6", "Lag om z", repeal_2026),
        )
    both = [batch, updates]
    got = dict(iter_archive_laws(both))
    # the updates' text replaces front matter only (2019:2) and an older text (2010:4) …
    assert [p.text for p in got["2019/sfs-2019-2.md"]] == ["Verket ansvarar för prov.", "Andra."]
    assert got["2019/sfs-2019-2.md"][0].id == "sfs-2019-2/1"
    assert got["2010/sfs-2010-4.md"][0].text == "Ny lydelse."
    # … but a front-matter-only update never replaces text (2011:5)
    assert got["2011/sfs-2011-5.md"][0].text == "Batchtext."
    # a repeal that took effect between the two snapshots counts (as of the newest archive's date)
    assert "2012/sfs-2012-6.md" not in got
    assert "2012/sfs-2012-6.md" in dict(iter_archive_laws(batch))
    assert [e.sfs for e in instruction_ordinances(both) if e.has_text] == ["2019:2"]
    assert [e.sfs for e in instruction_ordinances(batch) if e.has_text] == []


@pytest.mark.slow
@pytest.mark.skipif(not ARCHIVE.exists(), reason="statute archive not present")
def test_real_archive() -> None:
    start = time.perf_counter()
    n_laws = n_paragraphs = 0
    for _, ps in iter_archive_laws(ARCHIVE):
        n_laws += 1
        n_paragraphs += len(ps)
    assert time.perf_counter() - start < 60
    assert n_laws > 900 and n_paragraphs > 30_000
    instr = {e.sfs: e for e in instruction_ordinances(ARCHIVE)}
    assert {"2019:502", "2022:1718", "2022:1719"} <= set(instr)
    assert 100 < len(instr) < 880
    assert json.dumps(sorted(instr)[:1])  # stable, serialisable


def test_coverage_of_the_statute_archives_is_reported(tmp_path: Path) -> None:
    """`remiss index status` says how many current instructions and other statutes have § text."""
    from agent.config import Settings
    from agent.index.status import coverage

    cov = coverage(
        Settings(data_dir=tmp_path, corpus_dir=CORPUS), {"a": "Förordning (1:1) med instruktion för X"}
    )
    assert cov["indexed_instructions"] == 1 and cov["indexed_laws"] == 0
    instructions = cov["archive_instructions"]
    # every current instruction with text is in the default law set (not a hand-picked list)
    indexed = {
        p.sfs for p in load_default_laws(CORPUS) if p.law_title.startswith("Förordning med instruktion")
    }
    assert instructions["with_text"] == len(indexed) >= 60
    assert instructions["current"] == instructions["with_text"] + len(cov["instructions_without_text"])
    assert (
        "Förordning med instruktion för Migrationsverket (2019:502)" not in cov["instructions_without_text"]
    )
