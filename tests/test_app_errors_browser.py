"""An unexpected error in the app shows no stack trace in the browser (issue 13): `remiss app` starts
Streamlit with `client.showErrorDetails=none`. Debian's chromium via Playwright; no model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from app_browser import CHROMIUM, CHROMIUM_ARGS, start_app

pytestmark = pytest.mark.slow

SCRIPT = """
import streamlit as st
st.title("Fel")
raise ValueError("hemlig/sokvag/till/modulen.py rad 42")
"""


def test_an_unexpected_error_shows_no_stack_trace(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium saknas: `apt-get install -y chromium` (make test gör det)")
    script = tmp_path / "fel.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMISS_")}
    with start_app(env, tmp_path / "app.log", script=script) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        page.locator("h1", has_text="Fel").wait_for(timeout=30_000)
        page.locator("[data-testid=stException], [data-testid=stAlert]").first.wait_for(timeout=30_000)
        shown = page.locator("body").inner_text()
        browser.close()
    assert "hemlig/sokvag" not in shown and "Traceback" not in shown and "ValueError" not in shown
    assert "hemlig/sokvag" in (tmp_path / "app.log").read_text()  # the server log has it
