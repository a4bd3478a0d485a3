"""Screenshots of every page of the app for docs/screenshots/ (README links them).

Runs the same browser flow as tests/test_app_browser.py, but on the real index and the embedded
default model, so the pictures show a real draft:

    REMISS_DATA_DIR=<a data dir with a built default index> .venv/bin/python scripts/screenshots.py

The data dir is copied first (the app writes app.sqlite into it); the copy is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from app_browser import app_env, run_flow, start_app  # noqa: E402
from pdf_factory import make_text_pdf, write_pdf  # noqa: E402

from agent.config import Settings  # noqa: E402

EXAMPLE_SOURCE = (
    "remissvar/stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt"
)
EXAMPLE = ROOT / "corpus" / EXAMPLE_SOURCE


def main() -> None:
    settings = Settings()
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "data"
        shutil.copytree(settings.data_dir / "indexes", data / "indexes")
        if (settings.data_dir / "models").exists():
            os.symlink(settings.data_dir / "models", data / "models")
        # The remiss part of the example (up to the answer), as the PDF an official would upload.
        text = EXAMPLE.read_text(encoding="utf-8").split("Förvaltningens synpunkter")[0]
        pdf = write_pdf(tmp / "motion.pdf", make_text_pdf(["\n".join(text.splitlines()[1:])]))
        env = app_env(data, settings.corpus_dir, settings.llm_model_path, embedding=settings.embedding)
        (tmp / "dl").mkdir()
        with start_app(env, tmp / "app.log", timeout=180) as url:
            run_flow(url, pdf, tmp / "dl", shots=out, timeout_ms=300_000, exclude=EXAMPLE_SOURCE)
    print(f"Skärmbilder i {out}")


if __name__ == "__main__":
    main()
