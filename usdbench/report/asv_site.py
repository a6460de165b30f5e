"""Make the site `asv publish` wrote viewable offline, and link it to the format report.

asv 0.6.6's index.html loads jQuery, Flot and Bootstrap from CDNs: without
internet the site stays blank. We copy offline copies of those files (see
asv_vendor/README.md) next to it and point the page at them, keeping each
`integrity` attribute whose hash our copy matches. Only the published copy in
html_dir is touched, never asv's own files; `asv publish` rewrites the whole
html_dir, so run this after it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import sys
from pathlib import Path

VENDOR_SRC = Path(__file__).with_name("asv_vendor")
VENDOR_DIR = "vendor"
LINK_ID = "usdbench-formats-link"

# CDN address in asv's index.html -> our copy in asv_vendor/.
CDN_COPIES = {
    "https://code.jquery.com/jquery-3.3.1.min.js": "jquery-3.3.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": "jquery.flot-0.8.3.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js": (
        "jquery.flot.time-0.8.3.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js": (
        "jquery.flot.selection-0.8.3.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js": (
        "jquery.flot.categories-0.8.3.js"
    ),
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": (
        "jquery.flot.orderBars-1.0.0.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js": (
        "stupidtable-1.1.3.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": "md5-2.19.0.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": (
        "bootstrap-3.1.1.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css": (
        "bootstrap-3.1.1.min.css"
    ),
}

_TAG = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>", re.S)
_INTEGRITY = re.compile(r'\s+integrity="([^"]*)"')
_NAV_ANCHOR = '<li id="nav-li-regressions">'


def _matches(integrity: str, data: bytes) -> bool:
    for token in integrity.split():
        algo, _, digest = token.partition("-")
        if algo in ("sha256", "sha384", "sha512"):
            ours = base64.b64encode(hashlib.new(algo, data).digest()).decode()
            if ours == digest:
                return True
    return False


def localise(html_dir: Path) -> list[str]:
    """Point html_dir/index.html at offline copies; return CDN addresses still in use."""
    index = Path(html_dir) / "index.html"
    text = index.read_text(encoding="utf-8")
    (Path(html_dir) / VENDOR_DIR).mkdir(exist_ok=True)
    left: list[str] = []

    def swap(match: re.Match) -> str:
        tag, url = match.group(0), match.group(2)
        name = CDN_COPIES.get(url)
        if name is None:
            if match.group(1) == "script" or 'rel="stylesheet"' in tag:
                left.append(url)
            return tag
        data = (VENDOR_SRC / name).read_bytes()
        shutil.copyfile(VENDOR_SRC / name, Path(html_dir) / VENDOR_DIR / name)
        integrity = _INTEGRITY.search(tag)
        if integrity and not _matches(integrity.group(1), data):
            # Same release, another build: the CDN's hash cannot match it.
            tag = _INTEGRITY.sub("", tag, count=1)
        return tag.replace(url, f"{VENDOR_DIR}/{name}")

    text = _TAG.sub(swap, text)
    index.write_text(text, encoding="utf-8")
    return left


def link_report(html_dir: Path, href: str = "formats/index.html") -> bool:
    """Add a "Format comparison" entry to asv's navigation bar; False if asv's page changed."""
    index = Path(html_dir) / "index.html"
    text = index.read_text(encoding="utf-8")
    if LINK_ID in text:
        return True
    if _NAV_ANCHOR not in text:
        return False
    entry = f'<li id="{LINK_ID}"><a href="{href}">Format comparison</a></li>\n\t'
    index.write_text(text.replace(_NAV_ANCHOR, entry + _NAV_ANCHOR, 1), encoding="utf-8")
    return True


def prepare_asv_site(html_dir: Path) -> bool:
    """Both of the above, with warnings on stderr; False when there is no asv site yet."""
    if not (Path(html_dir) / "index.html").is_file():
        return False
    left = localise(html_dir)
    if left:
        print(
            f"warning: {Path(html_dir) / 'index.html'} still loads from the network "
            f"(no offline copy known): {', '.join(left)}",
            file=sys.stderr,
        )
    if not link_report(html_dir):
        print(
            f"warning: could not add the report link to {Path(html_dir) / 'index.html'}: "
            "asv's navigation bar has changed",
            file=sys.stderr,
        )
    return True
