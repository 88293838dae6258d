"""The README's picture of the public page: `docs/elenco-pubblico.png`, 1280 px wide, from a demo.

    .venv/bin/elenco demo --dir demo
    .venv/bin/python docs/screenshot.py demo/elenco-pubblico.html docs/elenco-pubblico.png

Debian's `chromium`, driven by Playwright, offline; the first screenful of the page (1280 x 900).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(page_file: Path, out: Path) -> None:
    """Open the page at 1280 px and save the first screenful as PNG."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, offline=True)
        page.goto(page_file.resolve().as_uri())
        page.screenshot(path=str(out))
        browser.close()
    print(f"{out}: {out.stat().st_size} byte")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
