"""The review's HTML printed to PDF by WeasyPrint (an adapter: the renderer and its system
libraries, Pango above all, are needed only when someone asks for a PDF).

Nothing is fetched while printing: the page is self-contained (charts are inline SVG, styles
inline), and the fetcher refuses any URL a hostile party name might smuggle in."""

from __future__ import annotations

from typing import Any


class PdfUnavailable(RuntimeError):
    """The PDF renderer cannot run here; the message says what to install."""


def _renderer() -> Any:
    try:
        import weasyprint  # noqa: PLC0415 (imported only when a PDF is asked for: it is heavy)
    except (ImportError, OSError) as error:
        # OSError: the Python package is there but a system library (Pango) is not.
        raise PdfUnavailable(
            "the review cannot be made into a PDF on this machine: the WeasyPrint renderer "
            f"is missing or cannot load ({error}). Install the Python package 'weasyprint' "
            "and the system's Pango (Debian: libpango-1.0-0, and fonts-noto-cjk for Chinese), "
            "or download the HTML and print it from a browser.") from None
    return weasyprint


def pdf_from_html(html: str) -> bytes:
    """`html` (a whole, self-contained page) as a PDF document."""
    weasyprint = _renderer()
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=("data",))
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
