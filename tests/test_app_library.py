"""The app's library without Streamlit: storage, export and the drafting service."""

from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS, SAPO, STOCKHOLM
from docx import Document as DocxDocument
from fake_chat import FakeChat
from pdf_factory import make_encrypted_pdf, make_text_pdf

from agent.config import Settings
from agent.export import AI_NOTICE, HEADING, numbered, to_docx, to_markdown
from agent.service import AppError, DraftingService
from agent.storage import NotFoundError, Storage

MOTION = (FIXTURE_CORPUS / STOCKHOLM).read_text(encoding="utf-8")


@pytest.fixture
def service(drafting_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DraftingService:
    data_dir = tmp_path / "data"
    shutil.copytree(drafting_settings.data_dir, data_dir)
    settings = drafting_settings.model_copy(update={"data_dir": data_dir})
    chat = FakeChat()
    monkeypatch.setattr(DraftingService, "backend", lambda self: chat)
    svc = DraftingService(settings)
    yield svc
    svc.close()


def new_case(svc: DraftingService, owner: str = "ws:a") -> str:
    text, intake = svc.read_remiss(MOTION.encode("utf-8"), "motion.txt")
    return svc.create_case(owner, text, "motion.txt", intake)


def test_draft_is_stored_with_an_audit_entry(service: DraftingService) -> None:
    case_id = new_case(service)
    row = service.draft("ws:a", case_id)
    assert row.version == 1 and row.origin == "pipeline"
    assert row.draft["standpoint"] == "avstyrker"
    audit = service.storage.audit()
    assert len(audit) == 1
    entry = audit[0]
    assert entry["case_id"] == case_id and entry["model"] == "fake-model"
    assert entry["prompt_version"] == "drafting-v4" and f"{SAPO}/1" in entry["sources"]
    assert len(entry["input_sha256"]) == 64


def test_owners_do_not_see_each_other(service: DraftingService) -> None:
    a = new_case(service, "ws:a")
    b = new_case(service, "ws:b")
    assert [c.id for c in service.storage.cases("ws:a")] == [a]
    with pytest.raises(NotFoundError):
        service.storage.case("ws:b", a)
    with pytest.raises(NotFoundError):
        service.draft("ws:b", a)
    assert b != a


def test_two_users_drafting_at_once_get_their_own_drafts(service: DraftingService) -> None:
    cases = {owner: new_case(service, owner) for owner in ("ws:a", "ws:b")}
    results: dict[str, int] = {}

    def work(owner: str) -> None:
        results[owner] = service.draft(owner, cases[owner]).version

    threads = [threading.Thread(target=work, args=(o,)) for o in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"ws:a": 1, "ws:b": 1}
    for owner, case_id in cases.items():
        assert [r.version for r in service.storage.drafts(owner, case_id)] == [1]


def test_a_restart_loses_nothing(service: DraftingService) -> None:
    case_id = new_case(service)
    service.draft("ws:a", case_id)
    _, row = service.revise("ws:a", case_id, "byt ståndpunkt till besvarad")
    assert row is not None and row.version == 2
    service.close()
    again = DraftingService(service.settings)  # a new process: only the SQLite file is shared
    again.backend = service.backend  # type: ignore[method-assign]
    assert [r.version for r in again.storage.drafts("ws:a", case_id)] == [1, 2]
    assert [m.role for m in again.storage.messages("ws:a", case_id)] == ["user", "assistant"]
    _reply, row = again.revise("ws:a", case_id, "kortare")  # continues from the stored sources
    assert row is not None and row.version == 3 and row.draft["verification"]["unresolved"] == []
    again.close()


def test_manual_edit_is_verified_and_restore_goes_back(service: DraftingService) -> None:
    case_id = new_case(service)
    first = service.draft("ws:a", case_id)
    edited = first.draft["text"] + "\n\nEnligt 9 kap. 3 § kommunallagen (2017:725) är detta förbjudet.\n"
    row = service.edit("ws:a", case_id, edited)
    assert row.origin == "manual" and row.version == 2
    assert "9 kap. 3 § kommunallagen (2017:725)" in row.draft["verification"]["unresolved"]
    back = service.restore("ws:a", case_id, 1)
    assert back.version == 3 and back.draft["text"] == first.draft["text"]


def test_intake_corrections_are_used_by_the_next_draft(service: DraftingService) -> None:
    case_id = new_case(service)
    service.correct_intake(
        "ws:a", case_id, title="Ny titel", proposals=["Kommunen bör inrätta ett kompetenscenter."],
        proposers=["Anna Andersson (S)"], dnr="KS 2025/1",
    )  # fmt: skip
    case = service.storage.case("ws:a", case_id)
    assert case.title == "Ny titel" and case.intake["dnr"] == "KS 2025/1"
    row = service.draft("ws:a", case_id)
    assert "Kommunen bör inrätta ett kompetenscenter." in row.draft["text"]


def test_intake_corrections_keep_what_they_replaced(service: DraftingService) -> None:
    case_id = new_case(service)
    read = service.intake("ws:a", case_id)
    assert service.intake_history("ws:a", case_id) == []
    for title in ("Första rättelsen", "Andra rättelsen"):
        service.correct_intake("ws:a", case_id, title=title, proposals=["att X"], proposers=[], dnr="")
    history = service.intake_history("ws:a", case_id)
    assert [i.title for _, i in history] == [read.title, "Första rättelsen"]
    assert history[0][1].proposals == read.proposals and history[0][0] <= history[1][0]
    assert service.intake("ws:a", case_id).title == "Andra rättelsen"
    with pytest.raises(NotFoundError):
        service.intake_history("ws:b", case_id)  # another official's case


def test_uploads_pdf_and_clear_errors(service: DraftingService) -> None:
    _text, intake = service.read_remiss(make_text_pdf(["\n".join(MOTION.splitlines()[1:60])]), "m.pdf")
    assert intake.proposals
    with pytest.raises(AppError, match="lösenord"):
        service.read_remiss(make_encrypted_pdf(), "krypterad.pdf")
    with pytest.raises(AppError, match="stöds inte"):
        service.read_remiss(b"x", "bild.png")
    with pytest.raises(AppError, match="tom"):
        service.read_remiss(b"  ", "")


def test_missing_index_is_a_clear_error(tmp_path: Path, drafting_settings: Settings) -> None:
    svc = DraftingService(drafting_settings.model_copy(update={"data_dir": tmp_path / "tom"}))
    with pytest.raises(AppError, match="remiss index build"):
        svc.searcher()
    status = svc.status()
    assert not status.index_ok and status.backend == "local" and status.embedded_default


def test_docx_and_markdown_hold_the_text_and_every_citation(service: DraftingService) -> None:
    case_id = new_case(service)
    draft = service.draft("ws:a", case_id).draft
    text, notes = numbered(draft)
    cited = {c["source_id"] for c in draft["citations"] if c["source_id"]}
    assert {n.source_id for n in notes} == cited and "[1]" in text
    doc = DocxDocument(io.BytesIO(to_docx(draft, title="Motion om kompetenscenter", dnr="KS 2025/448")))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert HEADING in body and AI_NOTICE in body and "KS 2025/448" in body
    assert "Förvaltningen har tagit del av" in body
    for note in notes:
        assert note.label in body and note.source_id in body
    assert doc.core_properties.keywords.startswith("AI-assisterat")
    md = to_markdown(draft, title="Motion", dnr="KS 2025/448")
    assert md.startswith(f"## {HEADING}") and all(n.label in md for n in notes)


def test_storage_feedback_and_reviews(tmp_path: Path) -> None:
    store = Storage(tmp_path / "app.sqlite")
    case_id = store.create_case("ws:a", "T", "", "text", {})
    draft = {"text": "x", "sources": [], "verification": {}}
    row = store.add_draft("ws:a", case_id, draft, origin="pipeline")
    store.set_feedback("ws:a", row.id, 1)
    store.set_feedback("ws:a", row.id, 0)
    assert store.feedback("ws:a", row.id) == 0
    store.add_review("ws:a", row.ref, row.ref, "Lika bra", "ok")
    assert store.reviews("ws:a")[0]["verdict"] == "Lika bra" and store.reviews("ws:b") == []


def test_writes_check_the_owner_too(tmp_path: Path) -> None:
    """Feedback and reviews on another owner's draft are refused like reads are."""
    store = Storage(tmp_path / "app.sqlite")
    case_id = store.create_case("ws:a", "T", "", "text", {})
    row = store.add_draft(
        "ws:a", case_id, {"text": "x", "sources": [], "verification": {}}, origin="pipeline"
    )
    with pytest.raises(NotFoundError):
        store.set_feedback("ws:b", row.id, 1)
    with pytest.raises(NotFoundError):
        store.add_review("ws:b", row.ref, "__verkligt__", "Bättre", "")
    assert store.feedback("ws:a", row.id) is None and store.reviews("ws:b") == []
    store.add_review("ws:a", row.ref, "__verkligt__", "Sämre", "")  # a pasted real answer has no ref
    assert store.reviews("ws:a")[0]["verdict"] == "Sämre"


def test_concurrent_versions_get_distinct_numbers(tmp_path: Path) -> None:
    """Two writers adding versions to one case at once never collide (the number is taken under a lock)."""
    from concurrent.futures import ThreadPoolExecutor

    store = Storage(tmp_path / "app.sqlite")
    case_id = store.create_case("ws:a", "T", "", "text", {})
    draft = {"text": "x", "sources": [], "verification": {}}
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = list(pool.map(lambda _: store.add_draft("ws:a", case_id, draft, origin="chat"), range(40)))
    assert sorted(r.version for r in rows) == list(range(1, 41))


def test_the_citation_number_follows_the_whole_label() -> None:
    label = "3 § förordningen (2022:1719) med instruktion för Säkerhetspolisen"
    text = f"Av {label} framgår att myndigheten ansvarar."
    ref = "3 § förordningen (2022:1719)"
    draft = {
        "text": text,
        "citations": [
            {"ref": ref, "source_id": "s", "label": label, "quote": None, "start": 3, "end": 3 + len(ref)}
        ],
        "sources": [{"id": "s", "label": label, "text": "Myndigheten ansvarar för …", "source": "x.md"}],
    }
    numbered_text, notes = numbered(draft)
    assert numbered_text == f"Av {label} [1] framgår att myndigheten ansvarar."
    assert notes[0].label == label


def test_a_very_long_upload_is_cut_with_a_warning_the_case_page_shows(service: DraftingService) -> None:
    service.settings = service.settings.model_copy(update={"max_remiss_chars": 5000})
    text, intake = service.read_remiss((MOTION * 5).encode("utf-8"), "lang.txt")
    assert len(text) == 5000
    assert any("mycket lång" in w for w in intake.warnings)
    case_id = service.create_case("ws:a", text, "lang.txt", intake)
    assert any("mycket lång" in w for w in service.storage.case("ws:a", case_id).intake["warnings"])


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (PNG, "motion.txt", "en PNG-bild"),  # a picture renamed .txt
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(500), "motion.md", "en JPEG-bild"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(500), "motion.txt", "Word- eller Office-dokument"),
        (bytes(range(256)) * 8, "", "NUL-tecken eller binärdata"),  # pasted garbage
    ],
)
def test_binary_content_is_refused_whatever_its_name(
    service: DraftingService, data: bytes, name: str, kind: str
) -> None:
    with pytest.raises(AppError, match=kind):
        service.read_remiss(data, name)


def test_a_pdf_named_txt_is_read_as_a_pdf_and_utf16_text_is_decoded(
    service: DraftingService, tmp_path: Path
) -> None:
    pdf = make_text_pdf(["\n".join(MOTION.splitlines()[1:60])])
    _text, intake = service.read_remiss(pdf, "motion.txt")
    assert intake.proposals
    text, intake = service.read_remiss(MOTION.encode("utf-16"), "motion.txt")
    assert "kompetenscenter" in text and intake.proposals
    from agent.drafting.intake import read_remiss

    picture = tmp_path / "motion.txt"  # the CLI's path: a file on disk
    picture.write_bytes(PNG)
    with pytest.raises(Exception, match="PNG-bild"):
        read_remiss(picture)
