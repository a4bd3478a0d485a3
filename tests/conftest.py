"""Shared fixtures for the index, search and CLI tests.

The fixture corpus (`tests/fixtures/corpus/`, see its README) is indexed once per test session with
the deterministic `hashing` embedder (no model is loaded); tests that change an index get their own
copy of that data folder, so every test starts from the same complete build.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Settings, get_settings
from agent.index.build import build_index
from agent.index.search import Searcher
from agent.index.store import IndexLayout

TESTS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = TESTS_DIR.parent
FIXTURE_CORPUS = TESTS_DIR / "fixtures" / "corpus"

KL = "sfs-2017-725"
FL = "sfs-2017-900"
KL_SOURCE = "sfs/2017/sfs-2017-725.md"
FL_SOURCE = "sfs/2017/sfs-2017-900.md"
STOCKHOLM = (
    "remissvar/stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt"
)
GOTLAND = "remissvar/gotland_KF_2009-02-23_p16_medborgarforslag_baggerusning.txt"
VGR = "remissvar/VGR_regionfullmaktige_2019-10-08_motion_regional_sammanhallningspolitik.txt"

# What the fixture corpus holds (kommunallagen chapters 1–2, förvaltningslagen 1–13 §§, 3 answers).
N_KL = 19
N_FL = 13
N_PRECEDENTS = 14
N_DOCS = N_KL + N_FL + N_PRECEDENTS

# `Hit.to_json` keys, as documented in the README ("JSON-utdata").
HIT_KEYS = {
    "rank",
    "id",
    "kind",
    "label",
    "score",
    "match",
    "dense_rank",
    "lexical_rank",
    "source",
    "text",
    "metadata",
}

# A remiss answer with words that occur nowhere in the fixture corpus.
USER_ANSWER = (
    "KÄLLA: Testkommunens kultur- och fritidsnämnd, 2023-05-10, Dnr KFN 2023/77: "
    "Svar på motion om zyxelbadhus\n"
    "\n"
    "Sammanfattning\n"
    "Motionären föreslår att kommunen bygger ett zyxelbadhus vid sjön Quabbe.\n"
    "\n"
    "Förvaltningens synpunkter och förslag\n"
    "Förvaltningen anser att ett zyxelbadhus är för dyrt i förhållande till nyttan för invånarna.\n"
    "Förvaltningen föreslår att motionen avslås.\n"
)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "corpus_dir": FIXTURE_CORPUS,
        "embedding": "hashing",
        # Explicit, so no REMISS_* variable of the shell leaks in (session fixtures run before the
        # autouse fixture below has cleaned the environment).
        "index_name": "default",
        "chroma_host": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type,call-arg]


def current_build(settings: Settings) -> Path:
    build_dir = IndexLayout(settings).current_dir()
    assert build_dir is not None
    return build_dir


def docstore_kind_counts(build_dir: Path) -> dict[str, int]:
    with sqlite3.connect(build_dir / "docs.sqlite") as db:
        return dict(db.execute("SELECT kind, COUNT(*) FROM docs GROUP BY kind").fetchall())


def squash(text: str) -> str:
    """Text without any whitespace: rich wraps long lines of CLI output at the console width."""
    return "".join(text.split())


def run_cli_subprocess(
    args: list[str], data_dir: Path, cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m agent.cli ARGS` in its own process (real entry point, real exit code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMISS_")}
    env.update(
        REMISS_DATA_DIR=str(data_dir),
        REMISS_CORPUS_DIR=str(FIXTURE_CORPUS),
        REMISS_EMBEDDING="hashing",
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=cwd,  # not the project folder: no .env file is read
    )


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No REMISS_* / OPENAI_* setting of the developer's shell may leak into a test."""
    for key in list(os.environ):
        if key.startswith(("REMISS_", "OPENAI_")):
            monkeypatch.delenv(key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding one complete build of the fixture corpus (do not modify)."""
    data_dir = tmp_path_factory.mktemp("built") / "data"
    report = build_index(make_settings(data_dir))
    assert report.changed and report.count == N_DOCS
    return data_dir


@pytest.fixture(scope="session")
def shared_settings(built_data_dir: Path) -> Settings:
    """Settings of the shared, read-only index."""
    return make_settings(built_data_dir)


@pytest.fixture(scope="session")
def searcher(shared_settings: Settings) -> Iterator[Searcher]:
    s = Searcher.open(shared_settings)
    yield s
    s.close()


@pytest.fixture
def fresh_settings(built_data_dir: Path, tmp_path: Path) -> Settings:
    """Settings of a private copy of the built index, for tests that change it."""
    data_dir = tmp_path / "data"
    shutil.copytree(built_data_dir, data_dir)
    return make_settings(data_dir)


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    """Settings of a data folder where nothing has been built yet."""
    return make_settings(tmp_path / "empty-data")


@pytest.fixture
def user_answer_dir(tmp_path: Path) -> Path:
    """A folder of the user's own remiss answers: one .txt file."""
    folder = tmp_path / "egna-remissvar"
    folder.mkdir()
    (folder / "svar_zyxelbadhus.txt").write_text(USER_ANSWER, encoding="utf-8")
    return folder


DRAFTING_FIXTURES = TESTS_DIR / "fixtures" / "drafting"
SAPO = "sfs-2022-1719"


@pytest.fixture(scope="session")
def drafting_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus plus one state authority's instruction (Säkerhetspolisen, 2022:1719) and a tiny
    ansvarsatlas (tests/fixtures/drafting/ansvar/)."""
    corpus = tmp_path_factory.mktemp("drafting") / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "sfs" / "2022").mkdir(parents=True)
    shutil.copy(DRAFTING_FIXTURES / "sfs-2022-1719.md", corpus / "sfs" / "2022" / "sfs-2022-1719.md")
    shutil.copytree(DRAFTING_FIXTURES / "ansvar", corpus / "ansvar")
    with (corpus / "laws.yaml").open("a", encoding="utf-8") as f:
        f.write('  - sfs: "2022:1719"\n    file: sfs/2022/sfs-2022-1719.md\n    format: md\n')
    return corpus


@pytest.fixture(scope="session")
def drafting_settings(drafting_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("drafting-data") / "data"
    settings = make_settings(data_dir, corpus_dir=drafting_corpus)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def drafting_searcher(drafting_settings: Settings) -> Iterator[Searcher]:
    s = Searcher.open(drafting_settings)
    yield s
    s.close()
