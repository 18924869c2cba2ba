"""The certificate page: one A4 landscape PDF made with fpdf2 (imported only when a certificate is made).

A pure function of what the certificate says. The text uses DejaVu Sans, which ships with
matplotlib (already a dependency), so names in any script that font covers print correctly
instead of failing on the PDF core fonts' Latin-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on the certificate, already worded."""

    name: str
    program: str
    role: str  # "mentor" or "mentee"
    dates: str  # "23 Nov 2026 – 21 Feb 2027"
    hours: str  # "4.5 hours of mentoring logged"
    mentees: str  # "" for a mentee
    cpd: str  # "" when the program file defines no conversion
    code: str
    issued: str
    training: str = ""  # "1.0 hours of mentor training (4 lessons)"; "" when none was done


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def render_certificate(text: CertificateText) -> bytes:
    """The PDF bytes of one certificate page."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Certificate of participation — {text.program}")
    pdf.set_creator("mentorbot")
    pdf.set_auto_page_break(False)
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    width = pdf.w - 40
    pdf.set_draw_color(40, 90, 140)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, pdf.w - 28, pdf.h - 28)

    def line(
        words: str, size: float, style: str = "", gap: float = 4, color: tuple[int, int, int] = (30, 30, 30)
    ) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(*color)
        pdf.set_x(20)
        pdf.multi_cell(width, size * 0.5, words, align="C")
        pdf.ln(gap)

    pdf.set_y(32)
    line("Certificate of participation", 30, "B", 8, (40, 90, 140))
    line("This certifies that", 13, gap=3)
    line(text.name, 26, "B", 4)
    line(f"took part as a {text.role} in", 13, gap=3)
    line(text.program, 18, "B", 6)
    line(text.dates, 13, gap=3)
    for detail in (text.hours, text.training, text.mentees, text.cpd):
        if detail:
            line(detail, 13, gap=2)
    pdf.set_y(pdf.h - 42)
    line(f"Verification code: {text.code}", 11, "B", 1, (40, 90, 140))
    line(f"A moderator can check it with /mentor-admin verify {text.code}. Issued {text.issued}.", 9, gap=0)
    return bytes(pdf.output())
