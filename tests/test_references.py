import pytest

from agent.sources.references import find_references, sfs_to_law_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 kap. 2 § KL", "sfs-2017-725/2/2"),
        ("KL 2:2", "sfs-2017-725/2/2"),
        ("2 kap. 2 § kommunallagen", "sfs-2017-725/2/2"),
        ("5 kap. 36 § kommunallagen (2017:725)", "sfs-2017-725/5/36"),
        ("SFS 2017:725 2 kap. 1 §", "sfs-2017-725/2/1"),
        ("kommunallagen 2 kap. 8 §", "sfs-2017-725/2/8"),
        ("4 kap. 8 a § KL", "sfs-2017-725/4/8a"),
        ("6 § förvaltningslagen", "sfs-2017-900/6"),
        ("14 kap. 2 § regeringsformen", "sfs-1974-152/14/2"),
        ("RF 14:2", "sfs-1974-152/14/2"),
        ("9 § LSS", "sfs-1993-387/9"),
        ("OSL 26:1", "sfs-2009-400/26/1"),
        ("1 kap. 1 § socialtjänstlagen", "sfs-2025-400/1/1"),
        ("29 kap. 1 § skollagen", "sfs-2010-800/29/1"),
        ("2 kap. 1 § lagen (2009:47) om vissa kommunala befogenheter", "sfs-2009-47/2/1"),
        ("1 § förordningen (2019:502) med instruktion för Migrationsverket", "sfs-2019-502/1"),
    ],
)
def test_reference_forms(text: str, expected: str) -> None:
    refs = find_references(text)
    assert [r.id for r in refs] == [expected]


def test_reference_without_law_keeps_chapter_and_section() -> None:
    (ref,) = find_references("Vad innebär 2 kap. 3 §?")
    assert ref.law_id is None
    assert (ref.chapter, ref.section) == ("2", "3")
    assert ref.ids_for("sfs-2017-725") == "sfs-2017-725/2/3"


def test_several_references_in_running_text() -> None:
    text = "Av 2 kap. 1 § kommunallagen framgår … enligt 2 kap. 2 § KL och 6 § förvaltningslagen."
    assert [r.id for r in find_references(text)] == [
        "sfs-2017-725/2/1",
        "sfs-2017-725/2/2",
        "sfs-2017-900/6",
    ]


def test_no_false_positives_in_plain_text() -> None:
    assert find_references("Kommunen har 2 kapitel i planen och 12 procent i budget 2017:725-talet") == []


def test_sfs_to_law_id() -> None:
    assert sfs_to_law_id("2017:725") == "sfs-2017-725"
    assert sfs_to_law_id("2009:047") == "sfs-2009-47"
