"""The PDF of the report, printed offline by a headless Chromium (or Chrome).

:func:`write_report_pdf` prints ``rapport.html`` to ``rapport.pdf`` beside it with the
browser's own print engine (``--headless --print-to-pdf``): the page is the same as on screen,
laid out by the report's print stylesheet (A4, one part per page, no interactive control). The
network is cut for the browser (every host name resolves to nothing, a dead proxy), so the
print never waits for, nor leaks to, a remote server: the report is a single self-contained
file anyway (inlined CSS, charts in base64).

Which browser (:func:`find_chromium`): the environment variable ``ESPASS_GEO_CHROMIUM`` (a
path or a command name; ``non``/``off``/``0`` to make no PDF), else ``chromium``,
``chromium-browser``, ``google-chrome``, ``google-chrome-stable``, ``chrome`` on the ``PATH``,
else the Chromium installed by Playwright (``~/.cache/ms-playwright``). Without a browser the
report is still written, no PDF is, and a :class:`ReportPdfWarning` says so in French with the
remedy (the command line shows it as « Avertissement : … »).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from espass_geo.errors import EspassGeoWarning

__all__ = ["CHROMIUM_ENV", "ReportPdfWarning", "find_chromium", "write_report_pdf",
           "PdfOutcome"]

#: Environment variable naming the browser (path or command), or ``non`` to skip the PDF.
CHROMIUM_ENV: str = "ESPASS_GEO_CHROMIUM"
_OFF = {"non", "off", "0", "false", "no", "aucun"}
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Seconds a print may take before it is abandoned (a large report prints in a few seconds).
PDF_TIMEOUT_S: float = 180.0

NO_BROWSER_FR: str = (
    "Le rapport PDF (rapport.pdf) n'a pas été produit : aucun navigateur Chromium ou Chrome "
    "trouvé sur cette machine. Pour l'obtenir, installez Chromium (par exemple « apt install "
    "chromium » ou « python -m playwright install chromium ») ou indiquez le chemin du "
    f"navigateur dans la variable d'environnement {CHROMIUM_ENV}, puis relancez le calcul ; "
    "ou ouvrez rapport.html dans un navigateur et imprimez-le en PDF (format A4).")


class ReportPdfWarning(EspassGeoWarning):
    """The report's PDF could not be produced (no browser, or the print failed)."""


@dataclass(frozen=True)
class PdfOutcome:
    """What :func:`write_report_pdf` did: ``path`` of the PDF (None when none was written)
    and ``note``, a French sentence when no PDF was written ("" otherwise)."""

    path: Path | None
    note: str = ""


def _playwright_chromium() -> str | None:
    roots = [Path(os.environ["PLAYWRIGHT_BROWSERS_PATH"])] if os.environ.get(
        "PLAYWRIGHT_BROWSERS_PATH") else []
    roots.append(Path.home() / ".cache" / "ms-playwright")
    for root in roots:
        if not root.is_dir():
            continue
        for pattern in ("chromium-*/chrome-linux*/chrome", "chromium-*/chrome-win*/chrome.exe",
                        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
                        "chromium_headless_shell-*/chrome-*/headless_shell"):
            found = sorted(root.glob(pattern), reverse=True)  # the newest build first
            for f in found:
                if os.access(f, os.X_OK):
                    return str(f)
    return None


def find_chromium() -> str | None:
    """The browser that prints the PDF, or None (see the module docstring for the order).

    ``ESPASS_GEO_CHROMIUM=non`` gives None: no PDF, on purpose.
    """
    wanted = os.environ.get(CHROMIUM_ENV, "").strip()
    if wanted:
        if wanted.lower() in _OFF:
            return None
        return shutil.which(wanted) or (wanted if os.access(wanted, os.X_OK)
                                        and Path(wanted).is_file() else None)
    for name in _NAMES:
        path = shutil.which(name)
        if path:
            return path
    return _playwright_chromium()


def _command(browser: str, html: Path, pdf: Path, profile: str) -> list[str]:
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--no-first-run",
            "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
            # the network is cut: no name resolves, and any request goes to a dead proxy
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={profile}", "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
            f"--print-to-pdf={pdf}", html.resolve().as_uri()]


def write_report_pdf(html_path: str | os.PathLike[str],
                     pdf_path: str | os.PathLike[str] | None = None, *,
                     browser: str | None = None, timeout: float = PDF_TIMEOUT_S,
                     warn: bool = True) -> PdfOutcome:
    """Print the report ``html_path`` to ``pdf_path`` (default: same name, ``.pdf``).

    ``browser``: the Chromium/Chrome executable (default :func:`find_chromium`). Returns a
    :class:`PdfOutcome`; never raises for a missing or failing browser: the HTML report stands,
    the outcome's ``note`` says in French why there is no PDF and how to get one, and (with
    ``warn``) a :class:`ReportPdfWarning` carries it, except when the PDF was switched off
    (``ESPASS_GEO_CHROMIUM=non``). The PDF is written atomically (a temporary file in the same
    folder, renamed when complete).
    """
    html = Path(html_path)
    pdf = Path(pdf_path) if pdf_path is not None else html.with_suffix(".pdf")
    off = os.environ.get(CHROMIUM_ENV, "").strip().lower() in _OFF and browser is None
    exe = browser or find_chromium()
    if exe is None:
        if off:
            return PdfOutcome(None, f"Rapport PDF non produit ({CHROMIUM_ENV}="
                                    f"{os.environ.get(CHROMIUM_ENV, '').strip()}).")
        return _failed(NO_BROWSER_FR, warn)
    tmp = pdf.with_name(f".{pdf.stem}.{os.getpid()}.tmp.pdf")
    try:
        with tempfile.TemporaryDirectory(prefix="espass_geo-chromium-") as profile:
            proc = subprocess.run(_command(exe, html, tmp, profile), stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout, check=False)
        ok = proc.returncode == 0 and tmp.is_file() and tmp.stat().st_size > 0 \
            and tmp.read_bytes()[:5] == b"%PDF-"
        if not ok:
            tmp.unlink(missing_ok=True)
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            return _failed(f"Le rapport PDF (rapport.pdf) n'a pas été produit : le navigateur "
                           f"« {Path(exe).name} » a échoué (code {proc.returncode}"
                           + (f", {detail[0][:200]}" if detail[0] else "") + "). Ouvrez "
                           "rapport.html dans un navigateur et imprimez-le en PDF (format A4).",
                           warn)
        os.replace(tmp, pdf)
    except (OSError, subprocess.SubprocessError) as exc:
        tmp.unlink(missing_ok=True)
        what = "n'a pas répondu à temps" if isinstance(exc, subprocess.TimeoutExpired) \
            else f"n'a pas pu être lancé ({exc.__class__.__name__})"
        return _failed(f"Le rapport PDF (rapport.pdf) n'a pas été produit : le navigateur "
                       f"« {Path(exe).name} » {what}. Ouvrez rapport.html dans un navigateur et "
                       "imprimez-le en PDF (format A4).", warn)
    return PdfOutcome(pdf)


def _failed(note: str, warn: bool) -> PdfOutcome:
    if warn:
        warnings.warn(note, ReportPdfWarning, stacklevel=3)
    return PdfOutcome(None, note)
