"""Print an HTML report to a tagged PDF with Debian's Chromium (through Playwright), in a
child process of its own so that a browser never runs inside the app's process.

The PDF is A4, tagged (headings, tables, figures with their alternative text), titled from
the document's <title>, in the document's language, with a header carrying the protective
marking and a footer with the date, the data cut-off and "page n of m".

Run as ``python -m metrics.reports.pdf IN.html OUT.pdf HEADER FOOTER``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

from metrics.core.settings import setting

SECONDS = 180


class PrintError(RuntimeError):
    """The report could not be printed to PDF; the message says why."""


def html_to_pdf(html: str, *, header: str, footer: str) -> bytes:
    """The PDF of ``html``; ``header`` and ``footer`` are plain text for every page (the
    footer is followed by "page n of m")."""
    chromium = setting("OUTCOMES_CHROMIUM")
    if not chromium.exists():
        raise PrintError(
            f"printing a PDF needs Chromium at {chromium} (make run and make test install "
            "Debian's chromium; or set OUTCOMES_CHROMIUM)"
        )
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "pack.html", Path(folder) / "pack.pdf"
        source.write_text(html, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "metrics.reports.pdf", str(source), str(target), header, footer],
            capture_output=True,
            text=True,
            timeout=SECONDS,
        )
        if done.returncode != 0 or not target.exists():
            raise PrintError(f"Chromium could not print the report: {done.stderr.strip()[-500:]}")
        return target.read_bytes()


def _print(source: Path, target: Path, header: str, footer: str) -> None:
    from playwright.sync_api import sync_playwright

    style = "font-family: sans-serif; font-size: 8pt; width: 100%; margin: 0 16mm; color: #333;"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=setting("OUTCOMES_CHROMIUM"))
        try:
            page = browser.new_page()
            # nothing leaves the machine: the document carries everything it needs
            page.route("**/*", lambda route: route.abort())
            page.set_content(source.read_text(encoding="utf-8"), wait_until="load")
            page.wait_for_function("window.chartsDrawn === true", timeout=120_000)
            page.pdf(
                path=str(target),
                format="A4",
                tagged=True,
                outline=True,
                print_background=True,
                display_header_footer=True,
                header_template=f'<div style="{style} text-align: center; font-weight: bold;">'
                f"{escape(header)}</div>",
                footer_template=f'<div style="{style} display: flex; justify-content: '
                f'space-between; gap: 8mm;"><span>{escape(footer)}</span><span style="white-space: '
                'nowrap;">page <span class="pageNumber"></span> of <span class="totalPages">'
                "</span></span></div>",
                margin={"top": "22mm", "bottom": "20mm", "left": "16mm", "right": "16mm"},
            )
        finally:
            browser.close()


if __name__ == "__main__":
    _print(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4])
