"""The `remiss` command line: help texts, index build/add/remove/status, search and show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import (
    FIXTURE_CORPUS,
    FL,
    HIT_KEYS,
    KL,
    KL_SOURCE,
    N_DOCS,
    STOCKHOLM,
    VGR,
    current_build,
    make_settings,
    run_cli_subprocess,
    squash,
)
from pdf_factory import make_encrypted_pdf, make_scanned_pdf, make_text_pdf, make_truncated_pdf, write_pdf
from typer.testing import CliRunner

from agent.cli import app
from agent.config import get_settings
from agent.index.status import index_status
from agent.index.store import IndexLayout

Invoke = Callable[..., Result]

STATUS_KEYS = {
    "index",
    "path",
    "ok",
    "building",
    "build_id",
    "created",
    "embedding",
    "chroma",
    "count",
    "counts",
    "sources",
    "options",
    "problems",
    "incomplete_builds",
    "coverage",
}
BUILD_KEYS = {
    "changed",
    "build_id",
    "count",
    "embedded",
    "shipped",
    "seconds",
    "errors",
    "warnings",
    "kept_from_previous",
}
KL_2_2 = (
    "Kommuner och regioner får inte ha hand om sådana angelägenheter som enbart staten, en annan "
    "kommun, en annan region eller någon annan ska ha hand om. Lag (2019:835)."
)


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[Path], Invoke]:
    """`invoke(data_dir)(*args)` runs `remiss ARGS` in-process against that data folder."""
    monkeypatch.chdir(tmp_path)  # no .env file of the project folder is read
    runner = CliRunner()

    def for_data_dir(data_dir: Path) -> Invoke:
        def run(*args: str) -> Result:
            monkeypatch.setenv("REMISS_DATA_DIR", str(data_dir))
            monkeypatch.setenv("REMISS_CORPUS_DIR", str(make_settings(data_dir).corpus_dir))
            monkeypatch.setenv("REMISS_EMBEDDING", "hashing")
            get_settings.cache_clear()
            try:
                return runner.invoke(app, list(args))
            finally:
                get_settings.cache_clear()

        return run

    return for_data_dir


@pytest.fixture
def shared_cli(invoke: Callable[[Path], Invoke], built_data_dir: Path) -> Invoke:
    """The CLI on the shared, already built index (only for commands that do not change it)."""
    return invoke(built_data_dir)


@pytest.fixture
def fresh_data_dir(built_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the built index."""
    data_dir = tmp_path / "cli-data"
    shutil.copytree(built_data_dir, data_dir)
    return data_dir


@pytest.fixture
def fresh_cli(invoke: Callable[[Path], Invoke], fresh_data_dir: Path) -> Invoke:
    """The CLI on a private copy of the built index."""
    return invoke(fresh_data_dir)


def assert_clean(result: Result, code: int) -> None:
    """Exit code as expected, and no Python traceback or uncaught exception."""
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def stdout_json(result: Result) -> dict:
    return json.loads(result.stdout)


# -- help -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "swedish"),
    [
        ([], "Remissagenten: utkast till förvaltningens synpunkter"),
        (["index"], "Bygg, utöka och kontrollera sökindexet"),
        (["index", "build"], "Bygg sökindexet över lagarna"),
        (["index", "add"], "Lägg till egna dokument"),
        (["index", "remove"], "Ta bort egna dokument"),
        (["index", "status"], "kontrollera att indexet är helt"),
        (["search"], "Sök i lagar och tidigare remissvar"),
        (["show"], "Visa hela texten i ett lagrum"),
    ],
)
def test_help_is_in_swedish(
    invoke: Callable[[Path], Invoke], tmp_path: Path, args: list[str], swedish: str
) -> None:
    result = invoke(tmp_path / "data")(*args, "--help")
    assert_clean(result, 0)
    assert squash(swedish) in squash(result.stdout)
    assert not (tmp_path / "data").exists()  # asking for help creates nothing


def test_search_help_lists_the_filters(shared_cli: Invoke) -> None:
    text = squash(shared_cli("search", "--help").stdout)
    for option in ("--source", "--law", "--body", "--from", "--to", "--exclude-source", "--mode", "--json"):
        assert option in text
    assert squash("Uteslut ett källdokument") in text


# -- no index yet -----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["search", "KL 2:2"], ["show", "KL 2:2"], ["search", "stöd", "--json"]])
def test_commands_before_any_index_exists_fail_in_swedish(
    invoke: Callable[[Path], Invoke], tmp_path: Path, args: list[str]
) -> None:
    result = invoke(tmp_path / "data")(*args)
    assert_clean(result, 1)
    assert result.stdout == ""
    message = squash(result.stderr)
    assert squash("Det finns inget sökindex ännu") in message
    assert squash("remiss index build") in message


def test_status_before_any_index_exists(invoke: Callable[[Path], Invoke], tmp_path: Path) -> None:
    result = invoke(tmp_path / "data")("index", "status", "--json")
    assert_clean(result, 1)
    data = stdout_json(result)
    assert data["ok"] is False and data["problems"] == ["inget index är byggt"]


# -- build, status, search, show --------------------------------------------------------------------


def test_build_then_status_then_search(invoke: Callable[[Path], Invoke], tmp_path: Path) -> None:
    cli = invoke(tmp_path / "data")
    built = cli("index", "build", "--json")
    assert_clean(built, 0)
    report = stdout_json(built)
    assert set(report) == BUILD_KEYS
    assert report["changed"] is True and report["count"] == N_DOCS
    assert report["embedded"] == N_DOCS and report["errors"] == []
    assert report["shipped"] == 0  # the test embedder is not the shipped model

    again = cli("index", "build")
    assert_clean(again, 0)
    assert squash("Indexet är redan aktuellt") in squash(again.stderr)

    status = cli("index", "status", "--json")
    assert_clean(status, 0)
    data = stdout_json(status)
    assert set(data) == STATUS_KEYS
    assert data["ok"] is True and data["problems"] == [] and data["incomplete_builds"] == []
    assert data["build_id"] == report["build_id"]
    assert data["count"] == N_DOCS and data["sources"] == 5
    assert data["embedding"] == "hashing-256" and data["chroma"] == "embedded"
    assert data["counts"]["law"] + data["counts"]["precedent"] == N_DOCS
    assert data["options"]["user_paths"] == []

    # coverage: what is indexed (here two laws, no instructions; the fixture corpus has no coverage file)
    assert data["coverage"] == {"indexed_laws": 2, "indexed_instructions": 0}

    plain = cli("index", "status")
    assert_clean(plain, 0)
    assert squash("Indexet är helt och används för sökning") in squash(plain.stdout)
    assert squash("2 lagar/förordningar och 0 myndighetsinstruktioner indexerade") in squash(plain.stdout)

    search = cli("search", "Får kommunen ta hand om uppgifter som staten ska sköta?", "--json", "--k", "3")
    assert_clean(search, 0)
    hits = stdout_json(search)
    assert set(hits) == {"query", "mode", "hits"}
    assert hits["mode"] == "hybrid" and len(hits["hits"]) == 3
    assert all(set(h) == HIT_KEYS for h in hits["hits"])
    assert [h["rank"] for h in hits["hits"]] == [1, 2, 3]


def test_search_json_exact_reference(shared_cli: Invoke) -> None:
    result = shared_cli("search", "KL 2:2", "--json")
    assert_clean(result, 0)
    data = stdout_json(result)
    assert data["query"] == "KL 2:2" and data["mode"] == "hybrid"
    first = data["hits"][0]
    assert set(first) == HIT_KEYS
    assert first["id"] == f"{KL}/2/2" and first["match"] == "exact" and first["score"] == 1.0
    assert first["text"] == KL_2_2
    assert first["label"] == "2 kap. 2 § kommunallagen (2017:725)"
    assert first["source"] == KL_SOURCE
    assert first["metadata"]["law_id"] == KL
    assert len(data["hits"]) == 5  # default --k


def test_search_plain_text_output(shared_cli: Invoke) -> None:
    result = shared_cli("search", "2 kap. 2 § KL", "--k", "2")
    assert_clean(result, 0)
    text = squash(result.stdout)
    assert squash("1. 2 kap. 2 § kommunallagen (2017:725)") in text
    assert squash("exakt lagrum") in text
    assert squash(KL_2_2) in text


def test_search_filters_on_the_command_line(shared_cli: Invoke) -> None:
    law = stdout_json(
        shared_cli("search", "myndighetens service", "--law", "FL", "--source", "law", "--json")
    )
    assert law["hits"] and all(h["metadata"]["law_id"] == FL for h in law["hits"])

    recent = stdout_json(
        shared_cli(
            "search", "kommunen motion", "--source", "precedent", "--from", "2015", "--k", "20", "--json"
        )
    )
    assert recent["hits"] and {h["source"] for h in recent["hits"]} <= {STOCKHOLM, VGR}

    body = stdout_json(
        shared_cli("search", "kommunen", "--source", "precedent", "--body", "socialförvaltningen", "--json")
    )
    assert body["hits"] and {h["source"] for h in body["hits"]} == {STOCKHOLM}

    excluded = stdout_json(
        shared_cli("search", "KL 2:2", "--exclude-source", KL_SOURCE, "--k", "20", "--json")
    )
    assert all(h["source"] != KL_SOURCE for h in excluded["hits"])

    for mode in ("dense", "lexical"):
        data = stdout_json(shared_cli("search", "kommunal kompetens", "--mode", mode, "--json"))
        assert data["mode"] == mode and data["hits"] and all(h["match"] == mode for h in data["hits"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "x", "--mode", "semantisk"], "--mode ska vara hybrid, dense eller lexical"),
        (["search", "x", "--source", "lagar"], "--source ska vara law eller precedent"),
        (["search", "   "], "Sökfrågan är tom"),
    ],
)
def test_search_rejects_bad_arguments(shared_cli: Invoke, args: list[str], message: str) -> None:
    result = shared_cli(*args)
    assert_clean(result, 2)
    assert squash(message) in squash(result.stderr)


def test_show_reference_json(shared_cli: Invoke) -> None:
    result = shared_cli("show", "KL 2:2", "--json")
    assert_clean(result, 0)
    data = stdout_json(result)
    assert set(data) == {"ref", "documents"}
    assert data["ref"] == "KL 2:2"
    assert len(data["documents"]) == 1
    doc = data["documents"][0]
    assert set(doc) == {"id", "kind", "label", "source", "text", "metadata"}
    assert doc["id"] == f"{KL}/2/2" and doc["kind"] == "law"
    assert doc["text"] == KL_2_2


@pytest.mark.parametrize(
    ("ref", "doc_id"),
    [
        ("2 kap. 2 § kommunallagen", f"{KL}/2/2"),
        (f"{FL}/6", f"{FL}/6"),
        ("6 § förvaltningslagen", f"{FL}/6"),
        (f"{STOCKHOLM}#synpunkter", f"{STOCKHOLM}#synpunkter"),
    ],
)
def test_show_by_reference_or_id(shared_cli: Invoke, ref: str, doc_id: str) -> None:
    result = shared_cli("show", ref, "--json")
    assert_clean(result, 0)
    assert [d["id"] for d in stdout_json(result)["documents"]] == [doc_id]
    plain = shared_cli("show", ref)
    assert_clean(plain, 0)
    assert f"({doc_id})" in squash(plain.stdout)


@pytest.mark.parametrize("ref", ["99 kap. 1 § KL", "sfs-2017-725/99/1", "nonsens"])
def test_show_unknown_reference_fails_in_swedish(shared_cli: Invoke, ref: str) -> None:
    result = shared_cli("show", ref)
    assert_clean(result, 1)
    assert squash(f'Hittar inget lagrum eller dokument som motsvarar "{ref}"') in squash(result.stderr)


@pytest.mark.parametrize("ref", ["[/]", "[bold]KL[/] 2:2", "[/red] ansvar"])
def test_markup_in_user_text_is_printed_as_text(shared_cli: Invoke, ref: str) -> None:
    """Rich markup in what the user typed is shown verbatim, never interpreted (it used to crash)."""
    result = shared_cli("show", ref)
    assert_clean(result, 1)
    assert "MarkupError" not in result.stderr and "Traceback" not in result.stderr
    assert squash(ref) in squash(result.stderr)


def test_markup_in_a_file_path_is_printed_as_text(fresh_cli: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "egna [/] svar"
    write_pdf(folder / "trasig [/bold].pdf", make_truncated_pdf())
    result = fresh_cli("index", "add", str(folder))
    assert result.exit_code == 0, result.stderr
    assert "MarkupError" not in result.stderr
    assert squash("trasig [/bold].pdf") in squash(result.stderr)


# -- add, remove ------------------------------------------------------------------------------------


def test_add_missing_path_exits_2(fresh_cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "finns-inte"
    result = fresh_cli("index", "add", str(missing))
    assert_clean(result, 2)
    assert squash(f"Hittar inte: {missing}") in squash(result.stderr)


def test_add_folder_with_bad_pdfs_reports_each_file(fresh_cli: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "pdfer"
    good = write_pdf(folder / "svar_utegym.pdf", make_text_pdf())
    bad = {
        write_pdf(folder / "krypterad.pdf", make_encrypted_pdf("hemligt")): "krypterad",
        write_pdf(folder / "inskannad.pdf", make_scanned_pdf(1)): "OCR",
        write_pdf(folder / "trasig.pdf", make_truncated_pdf()): "ofullständig",
        write_pdf(folder / "tom.pdf", b""): "tom",
    }
    result = fresh_cli("index", "add", str(folder))
    assert_clean(result, 0)
    lines = [squash(line) for line in result.stderr.split("Hoppade över")[1:]]
    assert len(lines) == len(bad)
    for path, word in bad.items():
        line = next(line for line in lines if line.startswith(squash(str(path))))
        assert word in line
    assert squash("4 fil(er) kunde inte läsas; övriga är indexerade.") in squash(result.stderr)
    assert squash(str(good)) not in squash(result.stderr)

    found = stdout_json(fresh_cli("search", "utegym Åkersberga", "--source", "precedent", "--json"))
    assert found["hits"][0]["source"] == str(good)

    as_json = fresh_cli("index", "build", "--json")
    assert_clean(as_json, 0)
    report = stdout_json(as_json)
    assert report["changed"] is False
    assert {e["path"] for e in report["errors"]} == {str(p) for p in bad}
    assert all(e["reason"] for e in report["errors"])


def test_add_then_remove(fresh_cli: Invoke, user_answer_dir: Path) -> None:
    added = fresh_cli("index", "add", str(user_answer_dir))
    assert_clean(added, 0)
    status = stdout_json(fresh_cli("index", "status", "--json"))
    assert status["options"]["user_paths"] == [str(user_answer_dir.resolve())]
    assert status["count"] > N_DOCS
    hits = stdout_json(fresh_cli("search", "zyxelbadhus", "--mode", "lexical", "--json"))["hits"]
    assert hits and hits[0]["source"].endswith("svar_zyxelbadhus.txt")

    # Adding the same folder again changes nothing.
    again = fresh_cli("index", "add", str(user_answer_dir), "--json")
    assert_clean(again, 0)
    assert stdout_json(again)["changed"] is False

    removed = fresh_cli("index", "remove", str(user_answer_dir))
    assert_clean(removed, 0)
    status = stdout_json(fresh_cli("index", "status", "--json"))
    assert status["options"]["user_paths"] == [] and status["count"] == N_DOCS
    assert stdout_json(fresh_cli("search", "zyxelbadhus", "--mode", "lexical", "--json"))["hits"] == []


def test_build_rejects_an_unknown_sfs_option(fresh_cli: Invoke) -> None:
    result = fresh_cli("index", "build", "--sfs", "allt")
    assert_clean(result, 2)
    assert squash("--sfs ska vara none, instructions, current eller all") in squash(result.stderr)


def test_remove_of_a_path_never_added_exits_2(fresh_cli: Invoke, tmp_path: Path) -> None:
    result = fresh_cli("index", "remove", str(tmp_path))
    assert_clean(result, 2)
    assert squash("Inte tillagda") in squash(result.stderr)


# -- a broken index ---------------------------------------------------------------------------------


def test_status_of_an_inconsistent_index_exits_1(fresh_cli: Invoke, fresh_data_dir: Path) -> None:
    shutil.rmtree(current_build(make_settings(fresh_data_dir)) / "bm25")

    status = fresh_cli("index", "status", "--json")
    assert_clean(status, 1)
    data = stdout_json(status)
    assert data["ok"] is False and any("BM25" in p for p in data["problems"])

    plain = fresh_cli("index", "status")
    assert_clean(plain, 1)
    assert squash("Problem: BM25-indexet saknas") in squash(plain.stdout)

    search = fresh_cli("search", "KL 2:2")
    assert_clean(search, 1)
    assert squash("Sökindexet är inte helt") in squash(search.stderr)

    repaired = fresh_cli("index", "build", "--force", "--json")
    assert_clean(repaired, 0)
    assert_clean(fresh_cli("index", "status"), 0)


def test_busy_index_build_fails_cleanly(fresh_cli: Invoke, fresh_data_dir: Path) -> None:
    with IndexLayout(make_settings(fresh_data_dir)).lock():
        result = fresh_cli("index", "build", "--force")
        assert_clean(result, 1)
        assert squash("Indexet byggs redan av en annan process") in squash(result.stderr)
        status = stdout_json(fresh_cli("index", "status", "--json"))
        assert status["building"] is True


# -- the real entry point in its own process --------------------------------------------------------


@pytest.mark.slow
def test_module_entry_point(built_data_dir: Path, tmp_path: Path) -> None:
    ok = run_cli_subprocess(["search", "KL 2:2", "--json", "--k", "1"], built_data_dir, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["hits"][0]["id"] == f"{KL}/2/2"

    missing = run_cli_subprocess(["search", "KL 2:2"], tmp_path / "ingen-data", cwd=tmp_path)
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert "remiss index build" in missing.stderr


_INTERRUPTED_BUILD = """
import os, signal, sys
from agent.index.lexical import LexicalIndex

def interrupt(self, directory):  # Ctrl-C while the BM25 index is being written
    os.kill(os.getpid(), signal.SIGINT)
    raise AssertionError("SIGINT was not delivered")

LexicalIndex.save = interrupt
from agent.cli import main
sys.argv = ["remiss", "index", "build", "--force"]
main()
"""


@pytest.fixture(scope="module")
def interrupted_build(
    built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path, str]:
    """`remiss index build --force` interrupted with Ctrl-C (SIGINT) in its own process."""
    root = tmp_path_factory.mktemp("interrupted")
    data_dir = root / "data"
    shutil.copytree(built_data_dir, data_dir)
    before = IndexLayout(make_settings(data_dir)).current_build_id()
    assert before
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMISS_")}
    env.update(
        REMISS_DATA_DIR=str(data_dir), REMISS_CORPUS_DIR=str(FIXTURE_CORPUS), REMISS_EMBEDDING="hashing"
    )
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_BUILD],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=60,
    )
    return proc, data_dir, before


@pytest.mark.slow
def test_interrupted_build_exits_130_and_leaves_the_index_unchanged(
    interrupted_build: tuple[subprocess.CompletedProcess[str], Path, str],
) -> None:
    proc, data_dir, before = interrupted_build
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
    settings = make_settings(data_dir)
    layout = IndexLayout(settings)
    assert layout.current_build_id() == before
    assert len(layout.incomplete_builds()) == 1
    status = index_status(settings)
    assert status.ok and not status.building


@pytest.mark.slow
def test_interrupted_build_says_so_in_swedish(
    interrupted_build: tuple[subprocess.CompletedProcess[str], Path, str],
) -> None:
    proc, _, _ = interrupted_build
    assert "Avbrutet. Det tidigare indexet är oförändrat" in proc.stderr
