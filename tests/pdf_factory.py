"""Helpers that build small real PDFs for tests (text, encrypted, scanned, corrupt).

Uses fpdf2 (with DejaVu Sans when installed, else the core Helvetica font, which covers å ä ö
through latin-1) and pypdf for encryption. Every function returns the PDF as bytes; use
`write_pdf` to put one on disk.
"""

from __future__ import annotations

import io
import random
import zlib
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

SAMPLE_ANSWER_PAGES = [
    "Remiss av motion om fler utegym i Åkersberga\n"
    "\n"
    "Svar på remiss från kommunstyrelsen, Dnr KS 2024/123\n"
    "\n"
    "Sammanfattning\n"
    "Kommunstyrelsen har bett kultur- och fritidsnämnden att svara på en motion om fler utegym.\n"
    "Förvaltningen är positiv till förslaget men ser att ökade driftkostnader måste täckas.\n"
    "\n"
    "Ärendet\n"
    "I motionen föreslås att kommunen bygger tre nya utegym i Åkersberga, Österskär och Täby.\n",
    "Förvaltningens synpunkter och förslag\n"
    "Förvaltningen delar motionärens syn på att fysisk aktivitet är viktig för folkhälsan.\n"
    "Enligt 2 kap. 1 § kommunallagen får kommunen ha hand om angelägenheter av allmänt intresse.\n"
    "Förvaltningen föreslår att motionen anses besvarad med hänvisning till pågående planering.\n",
]


def _new_pdf() -> tuple[FPDF, str]:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    if DEJAVU.exists():
        pdf.add_font("DejaVu", fname=str(DEJAVU))
        return pdf, "DejaVu"
    return pdf, "Helvetica"


def make_text_pdf(pages: list[str] | None = None) -> bytes:
    """A PDF with a real text layer, one string per page (lines separated by "\\n")."""
    pdf, font = _new_pdf()
    for page_text in pages if pages is not None else SAMPLE_ANSWER_PAGES:
        pdf.add_page()
        pdf.set_font(font, size=11)
        for line in page_text.split("\n"):
            pdf.multi_cell(0, 6, line or " ", align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_many_pages_pdf(n_pages: int, text: str = "Sida med lite text för sidgränstestet.") -> bytes:
    return make_text_pdf([f"{text} Sida {i + 1}." for i in range(n_pages)])


def make_encrypted_pdf(
    user_password: str = "secret", pages: list[str] | None = None, algorithm: str = "RC4-128"
) -> bytes:
    """Encrypt a text PDF with pypdf (RC4-128 by default; AES-256 needs `cryptography`).

    With `user_password=""` the file opens without a password (owner password set), as many
    "protected" PDFs from municipalities do.
    """
    reader = PdfReader(io.BytesIO(make_text_pdf(pages)))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password, owner_password="ägarlösen-123", algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_scanned_pdf(n_pages: int = 2) -> bytes:
    """Image-only pages (text drawn into a bitmap), i.e. a scan without a text layer."""
    pdf, _font = _new_pdf()
    for i in range(n_pages):
        img = Image.new("RGB", (800, 1100), "white")
        draw = ImageDraw.Draw(img)
        for row in range(20):
            line = f"Inskannad sida {i + 1}, rad {row + 1}: Förvaltningen anser"
            draw.text((60, 60 + row * 45), line, fill="black")
        pdf.add_page()
        pdf.image(img, x=10, y=10, w=190)
    return bytes(pdf.output())


def make_truncated_pdf() -> bytes:
    """A text PDF cut off in the middle (as after an interrupted download)."""
    data = make_text_pdf()
    return data[: len(data) // 2]


def make_random_bytes(n: int = 4096, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def make_bomb_pdf(n_ops: int = 300_000) -> bytes:
    """A few kB of PDF whose one content stream unpacks to megabytes of text operators (3.7 kB -> 2.1 MB
    for the default), written by hand: no PDF library writes such a page."""
    content = b"BT /F1 12 Tf 72 712 Td " + b"(x) Tj " * n_ops + b"ET"
    packed = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def write_pdf(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
