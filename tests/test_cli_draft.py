"""`remiss draft`: input handling, output formats and errors, with a scripted chat model as the LLM."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import FIXTURE_CORPUS, SAPO, STOCKHOLM, squash
from fake_chat import FakeChat
from pdf_factory import make_encrypted_pdf, make_scanned_pdf, make_text_pdf, write_pdf
from typer.testing import CliRunner

import agent.cli.drafting
from agent.cli import app
from agent.config import Settings, get_settings

Invoke = Callable[..., Result]
STOCKHOLM_FILE = FIXTURE_CORPUS / STOCKHOLM
JSON_KEYS = {
    "standpoint", "competence", "text", "citations", "verification", "sources", "arguments", "model",
    "prompt_version", "timings", "warnings", "intake", "competence_evidence",
}  # fmt: skip


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, drafting_settings: Settings
) -> Callable[[FakeChat], Invoke]:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def with_chat(chat: FakeChat) -> Invoke:
        @contextlib.contextmanager
        def fake_backend(settings: Settings) -> Iterator[FakeChat]:
            chat.kind = "openai" if settings.llm_backend == "openai" else chat.kind
            yield chat

        def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
            monkeypatch.setattr(agent.cli.drafting, "open_backend", fake_backend)
            monkeypatch.setenv("REMISS_DATA_DIR", str(drafting_settings.data_dir))
            monkeypatch.setenv("REMISS_CORPUS_DIR", str(drafting_settings.corpus_dir))
            monkeypatch.setenv("REMISS_EMBEDDING", "hashing")
            for k, v in (env or {}).items():
                monkeypatch.setenv(k, v)
            get_settings.cache_clear()
            try:
                return runner.invoke(app, list(args), input=input)
            finally:
                get_settings.cache_clear()

        return run

    return with_chat


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(app, ["draft", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--backend", "--exclude-source", "--json", "--stream", "--chat"):
        assert option in result.output
    assert "förvaltningens synpunkter" in result.output


def test_json_output_with_the_own_answer_excluded(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke(FakeChat())("draft", str(STOCKHOLM_FILE), "--exclude-source", STOCKHOLM, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == JSON_KEYS
    assert (data["standpoint"], data["competence"]) == ("avstyrker", "outside")
    decided = [j for j in data["competence_evidence"] if j["verdict"] == "outside"]
    assert decided and decided[0]["entry"]["id"] == "staten-sakerhetspolisen"
    assert decided[0]["entry"]["matched_cues"] and decided[0]["paragraphs"][0]["id"] == f"{SAPO}/1"
    refs = {c["source_id"] for c in data["citations"]}
    assert {"sfs-2017-725/2/1", "sfs-2017-725/2/2"} <= refs
    assert data["verification"] == {"unresolved": [], "misquoted": [], "unsupported_sentences": []}
    assert all(s["source"] != STOCKHOLM for s in data["sources"])
    assert {"id", "kind", "label", "source", "text"} <= set(data["sources"][0])
    assert data["model"] == "fake-model" and data["prompt_version"] == "drafting-v4"
    assert data["intake"]["dnr"] == "KS 2025/448"


def test_text_output_stdin_and_stream(invoke) -> None:  # type: ignore[no-untyped-def]
    run = invoke(FakeChat())
    text = STOCKHOLM_FILE.read_text(encoding="utf-8")
    result = run("draft", "-", "--exclude-source", STOCKHOLM, input=text)
    assert result.exit_code == 0, result.output
    assert "Ståndpunkt:" in result.stdout and "Hänvisningar" in result.stdout
    assert "alla hänvisningar och citat stämmer" in result.stdout
    result = run("draft", str(STOCKHOLM_FILE), "--stream")
    assert result.exit_code == 0, result.output
    assert "Prövar den kommunala kompetensen" in result.stderr  # the steps are shown as they run
    assert "Förvaltningen har tagit del av" in result.stdout


def test_pdf_input_and_pdf_errors(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = invoke(FakeChat())
    motion = STOCKHOLM_FILE.read_text(encoding="utf-8").split("\n")[1:60]
    pdf = write_pdf(tmp_path / "motion.pdf", make_text_pdf(["\n".join(motion)]))
    result = run("draft", str(pdf), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["intake"]["proposals"]
    for name, data, words in (
        ("krypterad.pdf", make_encrypted_pdf(), "lösenord"),
        ("skannad.pdf", make_scanned_pdf(), "saknarläsbartext"),
    ):
        result = run("draft", str(write_pdf(tmp_path / name, data)))
        assert result.exit_code == 2
        assert words in squash(result.stderr).lower(), result.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["draft", "finns-inte.txt"], None, "finns inte"),
        (["draft", "-"], "   \n", "tom"),
        (
            ["draft", "-"],
            "We propose that the council builds a new library in the town centre. " * 20,
            "svenska",
        ),
        (["draft", "-", "--backend", "gpt"], "x", "--backend"),
    ],
)
def test_bad_input_is_a_clear_error(invoke, args: list[str], stdin: str | None, message: str) -> None:  # type: ignore[no-untyped-def]
    chat = FakeChat()
    result = invoke(chat)(*args, input=stdin)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert chat.calls == []


def test_a_very_long_remiss_is_cut_with_a_warning(invoke) -> None:  # type: ignore[no-untyped-def]
    text = STOCKHOLM_FILE.read_text(encoding="utf-8") + ("\n\nBilaga. " + "Mer text om ärendet. " * 200) * 50
    result = invoke(FakeChat())("draft", "-", "--json", input=text, env={"REMISS_MAX_REMISS_CHARS": "20000"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert any("mycket lång" in w for w in data["warnings"])


def test_chat_revises_in_a_loop(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke(FakeChat(standpoint="avstyrker"))(
        "draft", str(STOCKHOLM_FILE), "--exclude-source", STOCKHOLM, "--chat",
        input="byt ståndpunkt till besvarad\nvarför citerar du 2 kap. 1 §?\n\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Ståndpunkten är ändrad till besvarad." in result.stdout
    assert "2kap.1§kommunallagen(2017:725)citeraseftersom" in squash(result.stdout)
    assert result.stdout.count("anses besvarat") >= 1


def test_openai_backend_option_reaches_the_pipeline(invoke) -> None:  # type: ignore[no-untyped-def]
    prose = "Enligt 2 kap. 1 § kommunallagen (2017:725) får kommunen ha hand om allmänna angelägenheter."
    chat = FakeChat(prose=[prose])
    result = invoke(chat)("draft", str(STOCKHOLM_FILE), "--backend", "openai", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["text"].strip() == prose
    assert "stream" in chat.questions()


def test_a_200_page_pdf_is_drafted_in_bounded_time(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import time

    motion = STOCKHOLM_FILE.read_text(encoding="utf-8").split("\n")[1:60]
    filler = "Bilaga. Statistik över ärenden och kostnader i förvaltningens verksamheter under året. " * 30
    pdf = write_pdf(tmp_path / "lang.pdf", make_text_pdf(["\n".join(motion)] + [filler] * 199))
    started = time.perf_counter()
    result = invoke(FakeChat())("draft", str(pdf), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["intake"]["proposals"] and data["verification"]["unresolved"] == []
    assert time.perf_counter() - started < 60  # a hang guard, not a speed target (bench/draft.py)


def test_show_an_atlas_entry_with_its_legal_basis(invoke) -> None:  # type: ignore[no-untyped-def]
    cli = invoke(FakeChat())
    listing = cli("show", "ansvar")
    assert listing.exit_code == 0, listing.output
    assert "ansvar/staten-sakerhetspolisen" in listing.output
    shown = cli("show", "ansvar/staten-sakerhetspolisen", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["holder"] == "staten" and data["actor"] == "Säkerhetspolisen"
    assert data["legal_basis_text"][0]["id"] == f"{SAPO}/1"
    assert data["legal_basis_text"][0]["text"].startswith("Säkerhetspolisen bedriver")
    missing = cli("show", "ansvar/finns-inte")
    assert missing.exit_code != 0 and "har ingen post" in missing.output


def test_standpoint_decided_beforehand(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The official's standpoint wins over the model's; against an outside verdict the draft warns."""
    chat = FakeChat(standpoint="avstyrker")
    motion = tmp_path / "motion.txt"
    motion.write_text(
        "Motion om fler parkbänkar\n\nJag föreslår att kommunfullmäktige beslutar att kommunen ställer ut "
        "fler parkbänkar i stadens parker.\n",
        encoding="utf-8",
    )
    run = invoke(chat)
    data = json.loads(run("draft", str(motion), "--standpoint", "besvarad", "--json").stdout)
    assert data["standpoint"] == "besvarad" and data["competence"] == "within"
    assert not any("kompetensprövningen fann" in w for w in data["warnings"])
    outside = run(
        "draft", str(STOCKHOLM_FILE), "--exclude-source", STOCKHOLM, "--standpoint", "tillstyrker", "--json"
    )
    data = json.loads(outside.stdout)
    assert (data["standpoint"], data["competence"]) == ("tillstyrker", "outside")
    assert any("kompetensprövningen fann förslaget utanför" in w for w in data["warnings"])
    bad = run("draft", str(motion), "--standpoint", "bifall")
    assert bad.exit_code == 2 and squash("--standpoint ska vara") in squash(bad.stderr)


def test_a_chat_goes_on_later_with_remiss_chat(invoke) -> None:  # type: ignore[no-untyped-def]
    chat = FakeChat(standpoint="avstyrker")
    first = invoke(chat)(
        "draft", str(STOCKHOLM_FILE), "--exclude-source", STOCKHOLM, "--chat", input="kortare\n\n"
    )
    assert first.exit_code == 0, first.output
    thread = re.search(r"Samtaletsparassom(cli-[0-9a-f]{12})", squash(first.output))
    assert thread is not None, first.output
    # Later, in another invocation: the newest version is shown, and the conversation goes on from it.
    later = invoke(chat)("chat", thread.group(1), input="byt ståndpunkt till besvarad\n\n")
    assert later.exit_code == 0, later.output
    assert "Ståndpunkten är ändrad till besvarad." in later.stdout
    missing = invoke(chat)("chat", "cli-finnsinte")
    assert missing.exit_code == 2 and "ingetsparatutkastarbete" in squash(missing.output)


def test_a_title_only_motion_is_drafted_with_a_warning(invoke) -> None:  # type: ignore[no-untyped-def]
    title = "Motion om att ordningsvakter ska kunna utföra biljettkontroller i kollektivtrafiken"
    result = invoke(FakeChat(standpoint="besvarad"))("draft", "-", "--json", input=title + "\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["intake"]["proposals"] == [
        {
            "text": "att ordningsvakter ska kunna utföra biljettkontroller i kollektivtrafiken",
            "kind": "att-sats",
        }
    ]
    assert any(w.startswith("Förslaget är hämtat ur rubriken") for w in data["warnings"])
    assert data["verification"]["unresolved"] == [] and data["text"]
