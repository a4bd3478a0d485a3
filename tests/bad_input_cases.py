"""The inputs of docs/bad-input.md, one small function per table row, and the front doors they go through.

`Doors` runs an input the way a user gives it: `app` is what the *Läs in remissen* button does
(`DraftingService.read_remiss`, then `create_case`), optionally followed by *Pröva kompetensen*
(`DraftingService.propose`); `cli` is a `remiss …` command. Both check what must always hold (no stack
trace, no case created for a refused input, earlier cases unchanged, the model never asked when the
input is refused) and return what the user was shown. The row functions in `CASES` build the input and
check what their row says is kept. No language model is loaded: the chat model is `FakeChat` and the
index (built only where a row needs one) is BM25 over one file of the user's own.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import Result
from conftest import FIXTURE_CORPUS, USER_ANSWER, make_settings
from fake_chat import INJECTION, FakeChat
from pdf_factory import (
    make_bomb_pdf,
    make_encrypted_pdf,
    make_many_pages_pdf,
    make_random_bytes,
    make_scanned_pdf,
    make_text_pdf,
    make_truncated_pdf,
    write_pdf,
)
from PIL import Image
from typer.testing import CliRunner

import agent.cli.drafting
from agent.cli import app as cli_app
from agent.config import Settings, get_settings
from agent.index.build import BuildOptions, build_index
from agent.index.lexical import LexicalIndex
from agent.index.store import IndexLayout, Manifest
from agent.service import AppError, DraftingService
from agent.storage import CaseRow

OWNER = "handlaggare@exempel.se"
EARLIER = (
    "Medborgarförslag om belysning i Storskogen\n\n"
    "Jag föreslår att kommunen sätter upp belysning längs motionsspåret i Storskogen.\n"
)
MOTION = (
    "Motion om parkbänkar i centrum\n\n"
    "Många äldre behöver kunna vila när de går till affären.\n\n"
    "Jag föreslår att kommunfullmäktige beslutar\n\n"
    "att ge tekniska nämnden i uppdrag att placera ut fler parkbänkar i centrum.\n\n"
    "Anna Åberg (C)\n"
)
ENGLISH = (
    "Motion on a new library\n\n"
    "The council should build a new library in the town centre. Many people want to read more books, "
    "and there is nowhere quiet to study after school.\n"
)
GERMAN = (
    "Antrag über Parkbänke. Wir schlagen vor, dass die Gemeinde mehr Bänke im Zentrum aufstellt, "
    "weil viele ältere Menschen beim Einkaufen eine Pause brauchen.\n"
)
FINNISH = (
    "Aloite puistonpenkeistä. Ehdotamme, että kunta sijoittaa keskustaan lisää penkkejä, koska monet "
    "ikääntyneet tarvitsevat taukoa kävellessään kauppaan.\n"
)
TITLE_ONLY = "Motion om att ordningsvakter ska kunna utföra biljettkontroller i kollektivtrafiken"
MARKUP_TITLE = "Motion om att kommunen bygger [/] fler [bold]bänkar"


@dataclass
class Seen:
    """What the user was shown, and what the front door left behind."""

    refused: bool = False
    shown: list[str] = field(default_factory=list)  # errors, warnings, CLI output
    warnings: list[str] = field(default_factory=list)  # the app's warnings (case page, decision step)
    case: CaseRow | None = None  # the case the app created
    results: list[Result] = field(default_factory=list)  # the CLI's runs

    @property
    def text(self) -> str:
        return "\n".join(self.shown)


class Doors:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp = tmp_path
        self.monkeypatch = monkeypatch
        self.chat = FakeChat()
        self.used: list[tuple[str, str]] = []  # (front end, step) in the order they were used
        self.settings = make_settings(tmp_path / "data")
        self.inputs = tmp_path / "in"
        self.inputs.mkdir()
        monkeypatch.chdir(tmp_path)  # no .env file of the project is read

    @property
    def door(self) -> str:
        """The front doors used, as the table writes them ("app: Läs in remissen → Pröva kompetensen")."""
        parts: list[str] = []
        previous = ""
        for end, step in self.used:
            parts.append(step if end == previous else f"{end}: {step}")
            previous = end
        return " → ".join(parts)

    def file(self, name: str, data: bytes) -> Path:
        path = self.inputs / name
        path.write_bytes(data)
        return path

    # ------------------------------------------------------------------ a small index
    def index(self) -> Settings:
        """A BM25-only index of one file of the user's own (no embeddings, no default corpus)."""
        own = self.tmp / "egna"
        own.mkdir(exist_ok=True)
        (own / "svar_zyxelbadhus.txt").write_text(USER_ANSWER, encoding="utf-8")
        build_index(self.settings, BuildOptions(default_corpus=False, dense=False, user_paths=[str(own)]))
        return self.settings

    def indexed_sources(self) -> set[str]:
        current = IndexLayout(self.settings).current_dir()
        assert current is not None
        return set(Manifest.read(current).sources)

    # ------------------------------------------------------------------ the app
    def app(self, data: bytes, filename: str = "", *, propose: bool = False) -> Seen:
        """*Läs in remissen* with an upload named `filename` (or pasted text: ""), then with `propose`
        *Pröva kompetensen*; an earlier case of the same official is there before and must stay."""
        if propose:
            self.index()
        svc = DraftingService(self.settings)
        self.monkeypatch.setattr(svc, "backend", lambda: self.chat)
        earlier = svc.storage.create_case(OWNER, "Belysning i Storskogen", "", EARLIER, {})
        seen = Seen()
        try:
            self.used.append(("app", "Läs in remissen"))
            try:
                text, intake = svc.read_remiss(data, filename)
                case_id = svc.create_case(OWNER, text, filename, intake)
            except AppError as exc:
                seen.refused = True
                seen.shown.append(str(exc))
                assert [c.id for c in svc.cases(OWNER)] == [earlier], "a refused input created a case"
                return seen
            seen.case = svc.storage.case(OWNER, case_id)
            assert seen.case.remiss_text == text
            seen.warnings += svc.intake(OWNER, case_id).warnings  # shown on the case page
            if propose:
                self.used.append(("app", "Pröva kompetensen"))
                try:
                    seen.warnings += svc.propose(OWNER, case_id).warnings
                except AppError as exc:
                    seen.refused = True
                    seen.shown.append(str(exc))
                    assert svc.drafts(OWNER, case_id) == []
                    assert self.chat.calls == [], "the model was asked about a refused remiss"
            seen.shown += seen.warnings
            return seen
        finally:
            assert svc.storage.case(OWNER, earlier).remiss_text == EARLIER
            svc.close()

    # ------------------------------------------------------------------ the CLI
    def cli(self, *args: str | Path, input: str | bytes | None = None, seen: Seen | None = None) -> Seen:
        """`remiss ARGS` (paths shown as FILE / PATH in the door), with FakeChat as the model."""

        @contextlib.contextmanager
        def fake_backend(settings: Settings) -> Iterator[FakeChat]:
            yield self.chat

        placeholder = "FILE" if args[0] == "draft" else "PATH"
        typed = [placeholder if isinstance(a, Path) else a for a in args]
        self.used.append(("CLI", " ".join(["remiss", *typed])))
        self.monkeypatch.setattr(agent.cli.drafting, "open_backend", fake_backend)
        for key, value in {
            "REMISS_DATA_DIR": str(self.settings.data_dir),
            "REMISS_CORPUS_DIR": str(FIXTURE_CORPUS),
            "REMISS_EMBEDDING": "hashing",
            "COLUMNS": "200",
        }.items():
            self.monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli_app, [str(a) for a in args], input=input)
        finally:
            get_settings.cache_clear()
        output = result.stdout + result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit), output
        assert "Traceback" not in output
        seen = seen or Seen()
        seen.results.append(result)
        seen.refused = seen.refused or result.exit_code != 0
        seen.shown.append(output)
        seen.warnings += [line for line in output.splitlines() if line.startswith("Obs:")]
        return seen

    def cli_refused(self, *args: str | Path, input: str | bytes | None = None, index: bool = False) -> Seen:
        """`remiss draft …` refused with exit 2 before anything is drafted or stored."""
        if index:
            self.index()
        seen = self.cli(*args, input=input)
        assert seen.results[-1].exit_code == 2
        assert self.chat.calls == [], "the model was asked about a refused remiss"
        assert not self.settings.conversations_path.exists()
        return seen


# ---------------------------------------------------------------------------- text (pasted)


def _proposals(seen: Seen) -> list[str]:
    assert seen.case is not None
    return [p["text"] for p in seen.case.intake["proposals"]]


def empty_text(doors: Doors) -> Seen:
    return doors.app(b"")


def whitespace_only(doors: Doors) -> Seen:
    return doors.app(b"  \n\t \r\n   ")


def states_nothing(doors: Doors) -> Seen:
    seen = doors.app(b"Hej hej.", propose=True)
    assert seen.case is not None and seen.case.remiss_text == "Hej hej."
    return seen


def title_only(doors: Doors) -> Seen:
    seen = doors.app(TITLE_ONLY.encode())
    assert _proposals(seen) == ["att ordningsvakter ska kunna utföra biljettkontroller i kollektivtrafiken"]
    return seen


def _not_swedish(doors: Doors, text: str) -> Seen:
    seen = doors.app(text.encode(), propose=True)
    assert seen.case is not None and seen.case.remiss_text == text
    return seen


def english(doors: Doors) -> Seen:
    return _not_swedish(doors, ENGLISH)


def german(doors: Doors) -> Seen:
    return _not_swedish(doors, GERMAN)


def finnish(doors: Doors) -> Seen:
    return _not_swedish(doors, FINNISH)


def english_cli(doors: Doors) -> Seen:
    return doors.cli_refused("draft", "-", input=ENGLISH, index=True)


def text_too_long(doors: Doors) -> Seen:
    filler = "\n\nBilaga\n" + "Mer text om ärendet och dess bakgrund. " * 12_000
    text = (MOTION + filler)[:450_000]
    assert len(text) == 450_000
    seen = doors.app(text.encode())
    assert seen.case is not None and seen.case.remiss_text == text[:400_000]
    assert any("parkbänkar i centrum" in p for p in _proposals(seen))
    return seen


def prompt_injection(doors: Doors) -> Seen:
    text = MOTION.replace("Jag föreslår", INJECTION + "\n\nJag föreslår")
    seen = doors.app(text.encode(), propose=True)
    assert seen.case is not None and seen.case.remiss_text == text
    assert not any("AI-system" in w for w in seen.case.intake["warnings"])  # nothing on reading
    assert all("Ignorera" not in p for p in _proposals(seen))
    prompts = "\n".join(str(m["content"]) for _name, messages in doors.chat.calls for m in messages)
    assert doors.chat.calls and "Ignorera alla tidigare instruktioner" not in prompts
    return seen


# ---------------------------------------------------------------------------- files (uploaded)


def encrypted_pdf(doors: Doors) -> Seen:
    return doors.app(make_encrypted_pdf("hemligt"), "låst.pdf")


def scanned_pdf(doors: Doors) -> Seen:
    return doors.app(make_scanned_pdf(1), "skannad.pdf")


def truncated_pdf(doors: Doors) -> Seen:
    return doors.app(make_truncated_pdf(), "trasig.pdf")


def not_a_pdf(doors: Doors) -> Seen:
    return doors.app(make_random_bytes(4096), "slump.pdf")


def zero_byte_pdf(doors: Doors) -> Seen:
    return doors.app(b"", "tom.pdf")


def zero_byte_txt(doors: Doors) -> Seen:
    return doors.app(b"", "tom.txt")


def bomb_pdf(doors: Doors) -> Seen:
    return doors.app(make_bomb_pdf(), "bomb.pdf")


def pdf_too_large(doors: Doors) -> Seen:
    data = b"%PDF-1.4\n" + bytes(60_000_000 - 9)
    return doors.app(data, "stor.pdf")


def pdf_too_many_pages(doors: Doors) -> Seen:
    return doors.app(make_many_pages_pdf(501), "lang.pdf")


def png_as_txt(doors: Doors) -> Seen:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buf, format="PNG")
    return doors.app(buf.getvalue(), "bild.txt")


def pdf_as_txt(doors: Doors) -> Seen:
    seen = doors.app(make_text_pdf([MOTION]), "motion.txt")
    assert any("parkbänkar i centrum" in p for p in _proposals(seen))
    return seen


def _swedish_letters_kept(seen: Seen) -> Seen:
    assert seen.case is not None
    assert seen.case.remiss_text == MOTION
    assert seen.case.title == "Motion om parkbänkar i centrum"
    return seen


def utf16(doors: Doors) -> Seen:
    return _swedish_letters_kept(doors.app(MOTION.encode("utf-16"), "motion.txt"))


def utf16_no_bom(doors: Doors) -> Seen:
    return doors.app(MOTION.encode("utf-16-le"), "motion.txt")


def latin1(doors: Doors) -> Seen:
    return _swedish_letters_kept(doors.app(MOTION.encode("cp1252"), "motion.txt"))


def _word_document() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", f"<w:document><w:body><w:t>{MOTION}</w:t></w:body></w:document>")
    return buf.getvalue()


def docx(doors: Doors) -> Seen:
    return doors.app(_word_document(), "remiss.docx")


def docx_as_txt(doors: Doors) -> Seen:
    return doors.app(_word_document(), "remiss.txt")


def no_suffix(doors: Doors) -> Seen:
    return doors.app(MOTION.encode(), "remiss")


def nul_bytes(doors: Doors) -> Seen:
    return doors.app(MOTION.replace("fler parkbänkar", "fler\x00 parkbänkar").encode(), "motion.txt")


def nul_pasted(doors: Doors) -> Seen:
    return doors.app(MOTION.replace("fler parkbänkar", "fler\x00 parkbänkar").encode(), "")


# ---------------------------------------------------------------------------- the CLI


def png_stdin_cli(doors: Doors) -> Seen:
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buf, format="PNG")
    return doors.cli_refused("draft", "-", input=buf.getvalue())


def latin1_stdin_cli(doors: Doors) -> Seen:
    doors.index()
    seen = doors.cli("draft", "--json", "-", input=MOTION.encode("cp1252"))
    assert seen.results[-1].exit_code == 0
    assert "parkbänkar" in seen.text
    return seen


def missing_path_cli(doors: Doors) -> Seen:
    return doors.cli_refused("draft", doors.tmp / "finns-inte.txt")


def markup_in_path_cli(doors: Doors) -> Seen:
    return doors.cli_refused("draft", doors.tmp / "[" / "]finns-inte.txt")


def markup_in_file_name_cli(doors: Doors) -> Seen:
    return doors.cli_refused("draft", doors.file("[bold]låst.pdf", make_encrypted_pdf("hemligt")))


def markup_in_title_cli(doors: Doors) -> Seen:
    doors.index()
    seen = doors.cli("draft", "--stream", "-", input=MARKUP_TITLE + "\n")
    assert seen.results[-1].exit_code == 0
    assert "- att kommunen bygger [/] fler [bold]bänkar" in seen.text  # what was understood
    assert doors.chat.calls  # drafted
    return seen


def zero_byte_file_cli(doors: Doors) -> Seen:
    return doors.cli_refused("draft", doors.file("tom.txt", b""))


def folder_as_file_cli(doors: Doors) -> Seen:
    return doors.cli_refused("draft", doors.inputs)


# ---------------------------------------------------------------------------- the index


def _own_folder(doors: Doors, name: str) -> Path:
    folder = doors.tmp / name
    folder.mkdir()
    (folder / "anteckning.txt").write_text(
        "Förvaltningen föreslår att motionen om qwertybadet avslås.\n", encoding="utf-8"
    )
    return folder


def index_add_broken_pdf(doors: Doors) -> Seen:
    doors.index()
    before = doors.indexed_sources()
    folder = _own_folder(doors, "nya")
    write_pdf(folder / "utegym.pdf", make_text_pdf())
    write_pdf(folder / "trasig.pdf", make_truncated_pdf())
    seen = doors.cli("index", "add", folder)
    assert seen.results[-1].exit_code == 0
    after = doors.indexed_sources()
    assert before < after
    assert {str(folder / "anteckning.txt"), str(folder / "utegym.pdf")} <= after
    assert str(folder / "trasig.pdf") not in after
    return seen


def index_add_missing(doors: Doors) -> Seen:
    doors.index()
    layout = IndexLayout(doors.settings)
    build, options = layout.current_build_id(), (layout.root / "options.json").read_text(encoding="utf-8")
    seen = doors.cli("index", "add", doors.tmp / "finns-inte")
    assert seen.results[-1].exit_code == 2
    assert layout.current_build_id() == build
    assert (layout.root / "options.json").read_text(encoding="utf-8") == options
    return seen


def _interrupt(*args: object, **kwargs: object) -> None:
    raise KeyboardInterrupt


def index_add_interrupted(doors: Doors) -> Seen:
    doors.index()
    layout = IndexLayout(doors.settings)
    build, before = layout.current_build_id(), doors.indexed_sources()
    folder = _own_folder(doors, "nya")
    with doors.monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "save", _interrupt)  # Ctrl-C while the new build is written
        seen = doors.cli("index", "add", folder)
    assert seen.results[-1].exit_code == 130
    assert layout.current_build_id() == build and doors.indexed_sources() == before
    return seen


class _SimulatedCrash(RuntimeError):
    pass


def _crash(*args: object, **kwargs: object) -> None:
    raise _SimulatedCrash("simulated crash")


def index_half_built(doors: Doors) -> Seen:
    settings = doors.index()
    layout = IndexLayout(settings)
    build, before = layout.current_build_id(), doors.indexed_sources()
    folder = _own_folder(doors, "nya")
    options = BuildOptions.load(layout)
    options.user_paths.append(str(folder))
    with doors.monkeypatch.context() as patch, pytest.raises(_SimulatedCrash):
        patch.setattr(LexicalIndex, "save", _crash)  # the process dies halfway through the build
        build_index(settings, options)
    [unfinished] = layout.incomplete_builds()
    seen = doors.cli("index", "status")
    assert seen.results[-1].exit_code == 0
    assert layout.current_build_id() == build and doors.indexed_sources() == before
    doors.cli("index", "add", folder, seen=seen)
    assert seen.results[-1].exit_code == 0
    assert not unfinished.exists() and layout.incomplete_builds() == []
    assert before < doors.indexed_sources()
    return seen


# ---------------------------------------------------------------------------- row id -> input

CASES: dict[str, Callable[[Doors], Seen]] = {
    "empty-text": empty_text,
    "whitespace-only": whitespace_only,
    "states-nothing": states_nothing,
    "title-only": title_only,
    "english": english,
    "german": german,
    "finnish": finnish,
    "english-cli": english_cli,
    "encrypted-pdf": encrypted_pdf,
    "scanned-pdf": scanned_pdf,
    "truncated-pdf": truncated_pdf,
    "not-a-pdf": not_a_pdf,
    "zero-byte-pdf": zero_byte_pdf,
    "zero-byte-txt": zero_byte_txt,
    "zero-byte-file-cli": zero_byte_file_cli,
    "bomb-pdf": bomb_pdf,
    "pdf-too-large": pdf_too_large,
    "pdf-too-many-pages": pdf_too_many_pages,
    "text-too-long": text_too_long,
    "png-as-txt": png_as_txt,
    "pdf-as-txt": pdf_as_txt,
    "utf16": utf16,
    "utf16-no-bom": utf16_no_bom,
    "latin1": latin1,
    "docx": docx,
    "docx-as-txt": docx_as_txt,
    "no-suffix": no_suffix,
    "nul-bytes": nul_bytes,
    "nul-pasted": nul_pasted,
    "png-stdin-cli": png_stdin_cli,
    "latin1-stdin-cli": latin1_stdin_cli,
    "prompt-injection": prompt_injection,
    "missing-path-cli": missing_path_cli,
    "markup-in-path-cli": markup_in_path_cli,
    "markup-in-file-name-cli": markup_in_file_name_cli,
    "markup-in-title-cli": markup_in_title_cli,
    "folder-as-file-cli": folder_as_file_cli,
    "index-add-broken-pdf": index_add_broken_pdf,
    "index-add-missing": index_add_missing,
    "index-add-interrupted": index_add_interrupted,
    "index-half-built": index_half_built,
}
