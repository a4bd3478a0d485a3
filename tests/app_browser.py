"""Drive the running app in a real browser (Debian's chromium through Playwright; no browser download).

Used by tests/test_app_browser.py and scripts/screenshots.py: `start_app` runs `remiss app`'s
Streamlit command on a free port, `run_flow` is the official's and the reviewer's path through it.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.cli import streamlit_command

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def start_app(
    env: dict[str, str], log: Path, timeout: float = 90, script: Path | None = None
) -> Iterator[str]:
    """The app's (or another Streamlit `script`'s) URL while it runs; stopped afterwards."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            streamlit_command(port, "127.0.0.1", script), env=env, stdout=out, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Appen startade inte:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def app_env(
    data_dir: Path, corpus_dir: Path, model_path: Path | None, embedding: str = "hashing"
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMISS_", "OPENAI_"))}
    env.update(REMISS_DATA_DIR=str(data_dir), REMISS_CORPUS_DIR=str(corpus_dir), REMISS_EMBEDDING=embedding)
    if model_path is not None:
        env["REMISS_LLM_MODEL_PATH"] = str(model_path)
    return env


def run_flow(
    url: str,
    pdf: Path,
    downloads: Path,
    shots: Path | None = None,
    timeout_ms: int = 180_000,
    exclude: str = "",
) -> dict:
    """Upload → draft → open a citation → revise by chat → export .docx → compare. Returns what was seen.

    On failure a screenshot is left in `downloads/fel.png`.
    """
    from playwright.sync_api import sync_playwright

    seen: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(timeout_ms)
        try:
            _flow(page, url, pdf, downloads, seen, shots, exclude)
        except Exception:
            page.screenshot(path=str(downloads / "fel.png"), full_page=True)
            raise
        finally:
            browser.close()
    return seen


NOTES = (
    "- Socialförvaltningen har redan en stödlinje för utsatta familjer.\n"
    "- Ett kompetenscenter skulle kosta omkring 3 miljoner kronor per år."
)


def wait_idle(page: Any, timeout_ms: int = 30_000) -> None:
    """Until Streamlit is not running the script (its status widget is gone)."""
    page.wait_for_timeout(300)
    page.locator("[data-testid=stStatusWidget]").wait_for(state="hidden", timeout=timeout_ms)


def _flow(
    page: Any, url: str, pdf: Path, downloads: Path, seen: dict, shots: Path | None, exclude: str
) -> None:
    from docx import Document as DocxDocument

    def shot(name: str) -> None:
        if shots is not None:
            page.wait_for_timeout(800)
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    page.goto(url)
    page.get_by_text("Nytt ärende", exact=True).first.wait_for()
    shot("nytt-arende")
    page.locator("input[type=file]").set_input_files(str(pdf))
    page.get_by_text(pdf.name).first.wait_for()  # the upload has reached the server
    if exclude:
        page.get_by_text("Avancerat").click()
        page.locator("input[aria-label='Håll korpusdokument utanför sökningen']").fill(exclude)
    # A click while the app is still rerunning after the upload can be dropped: click until it takes.
    propose = page.get_by_role("button", name="Pröva kompetensen och föreslå ståndpunkt")
    for _ in range(5):
        wait_idle(page)
        page.get_by_role("button", name="Läs in remissen").click()
        try:
            propose.wait_for(timeout=20_000)
            break
        except Exception:
            continue
    propose.wait_for()
    seen["title"] = page.locator("h1").first.inner_text()
    wait_idle(page)
    propose.click()
    # The decision step: the evidence and the proposed standpoint, before any text is written.
    page.get_by_text("Kompetensprövning och ståndpunkt").wait_for()
    wait_idle(page)
    seen["step"] = page.locator("[data-testid=stMetric]").all_inner_texts()
    seen["step_expanders"] = page.locator("[data-testid=stExpander] summary").all_inner_texts()
    shot("stallningstagande")
    page.locator("[data-testid=stRadio] label", has_text="besvarad").click()
    page.locator("textarea[aria-label='Handläggarens underlag (frivilligt)']").fill(NOTES)
    page.get_by_role("button", name="Skriv utkastet").click()
    page.get_by_text("Hänvisningar – klicka för att se källtexten").wait_for()
    seen["draft"] = page.locator("[data-testid=stMarkdownContainer]").all_inner_texts()
    seen["metrics"] = page.locator("[data-testid=stMetric]").all_inner_texts()
    # Open the first citation: its source text appears.
    page.locator("[data-testid=stExpander] summary", has_text="[1]").first.click()
    source = page.locator(".remiss-source").first
    source.wait_for(state="visible")
    seen["source"] = source.inner_text()
    seen["highlighted"] = page.locator(".remiss-source mark").count()
    shot("utkast")
    # Revise once by chat.
    wait_idle(page)
    chat = page.locator("[data-testid=stChatInputTextArea]")
    chat.fill("byt ståndpunkt till avstyrker")
    chat.press("Enter")
    page.get_by_text("Ståndpunkten är ändrad till avstyrker.").wait_for()
    page.get_by_text("→ version 2").wait_for()
    shot("chatt")
    # Export .docx and open it.
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Exportera .docx").click()
    path = downloads / download.value.suggested_filename
    download.value.save_as(path)
    doc = DocxDocument(io.BytesIO(path.read_bytes()))
    seen["docx"] = "\n".join(par.text for par in doc.paragraphs)
    # Compare the two versions.
    page.get_by_role("link", name="Jämför").click()
    page.get_by_text("Skillnader ord för ord").wait_for()
    seen["diff_ins"] = page.locator("ins").count()
    seen["diff_del"] = page.locator("del").count()
    seen["compared"] = page.locator("[data-testid=stColumn]").count()
    shot("jamfor")
    for name, label in (
        ("kallor", "Källor"),
        ("utvardering", "Utvärdering"),
        ("installningar", "Inställningar"),
    ):
        page.get_by_role("link", name=label).click()
        page.locator("h1", has_text=label).first.wait_for()
        shot(name)
