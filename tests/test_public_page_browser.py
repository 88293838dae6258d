"""elenco-pubblico.html in a real browser: headless Chromium (Debian's), axe-core WCAG 2.0/2.1 A and AA rules,
keyboard-only search and filter, no horizontal scrolling at 320 px, the print stylesheet, and no JavaScript.

Chromium is Debian's `chromium` (`.ci/run` installs it), driven by Playwright; axe-core comes from npm
(`tests/browser/package.json`, installed by `make`). Where either is missing the tests are skipped, except
under CI (`CI=true`), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sync.backends.memory import MemoryStore
from sync.config import Settings
from sync.demo_data import generate, load_vocabulary
from sync.pipeline import run_sync

AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOW = datetime(2024, 5, 20, 10, 30)
# Screenshots land here (the README's picture is taken from the 1280 px one)
SHOTS = Path(os.environ.get("ELENCO_SCREENSHOTS", "")) if os.environ.get("ELENCO_SCREENSHOTS") else None


def _chromium() -> str:
    path = os.environ.get("ELENCO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    missing = [what for what, ok in (("chromium", Path(path).exists()), ("axe-core", AXE.exists())) if not ok]
    if missing:
        message = f"missing for the browser tests: {', '.join(missing)} (see .ci/run and the Makefile)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory, crema: Settings) -> Path:
    data = generate(crema.ambito, 60, vocabulary=load_vocabulary(), seed=11)
    store = MemoryStore(responses=[data.header, *data.rows])
    run_sync(store, crema, NOW)
    folder = tmp_path_factory.mktemp("pagina")
    for name, content in store.published[-1].items():
        (folder / name).write_bytes(content)
    return folder / "elenco-pubblico.html"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright: Any, profile: Path, **options: Any) -> Any:
    """Debian's Chromium with the flags of an offline machine and a fresh profile (--user-data-dir)."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=_chromium(), headless=True, args=FLAGS, offline=True, **options
    )


@pytest.fixture(scope="module")
def browser(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    context = launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield context
    finally:
        context.close()


def _open(browser: Any, page_file: Path, width: int, height: int = 900) -> Any:
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(page_file.as_uri())
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [1280, 375, 320])
def test_axe_finds_no_wcag_violation(browser: Any, page_file: Path, width: int) -> None:
    page = _open(browser, page_file, width)
    assert axe_violations(page) == []
    # the page as the filters leave it is checked too (hidden rows, the status message)
    page.fill("#cerca", "crema")
    page.select_option("#area", index=2)
    assert axe_violations(page) == []
    page.close()


def test_axe_check_can_fail(browser: Any, tmp_path: Path) -> None:
    broken = tmp_path / "rotta.html"
    broken.write_text(
        "<!doctype html><html><head><title>x</title></head><body><main>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="search">'
        '<p style="color:#aaa;background:#fff">poco contrasto</p></main></body></html>',
        encoding="utf-8",
    )
    page = _open(browser, broken, 1280)
    ids = {v["id"] for v in axe_violations(page)}
    assert {"html-has-lang", "image-alt", "label", "color-contrast"} <= ids
    page.close()


def _visible_rows(page: Any) -> int:
    return int(page.evaluate("document.querySelectorAll('main tbody tr:not([hidden])').length"))


def _tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached with the Tab key")


def test_search_and_area_filter_by_keyboard_only(browser: Any, page_file: Path) -> None:
    page = _open(browser, page_file, 1280)
    total = _visible_rows(page)
    expected = page.evaluate(
        """() => new Set(Array.from(document.querySelectorAll('main tbody tr'))
             .filter(tr => tr.textContent.toLowerCase().includes('crema'))
             .map(tr => tr.dataset.id)).size"""
    )
    assert 0 < expected < total
    _tab_to(page, "cerca")
    page.keyboard.type("Crema")
    assert page.text_content("#esito") == f"{expected} enti corrispondono alla ricerca."
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('main tbody tr:not([hidden])')).map(tr => tr.textContent)"
    )
    assert shown and all("crema" in t.lower() for t in shown)
    _tab_to(page, "area")
    page.keyboard.press("ArrowDown")  # «Tutte le aree» → the first area
    first = page.evaluate("document.querySelector('main section').id")
    assert page.input_value("#area") == first
    visible_sections = page.evaluate(
        "Array.from(document.querySelectorAll('main section')).filter(s => !s.hidden).map(s => s.id)"
    )
    assert visible_sections == [first]
    page.keyboard.press("ArrowUp")  # back to every area
    _tab_to(page, "cerca")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    assert _visible_rows(page) == total
    assert page.text_content("#esito") == ""
    # the focus is always visible: a 3 px outline
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"
    page.close()


def test_accented_search_ignores_accents(browser: Any, page_file: Path) -> None:
    page = _open(browser, page_file, 1280)
    names = page.evaluate("Array.from(document.querySelectorAll('main tbody th')).map(th => th.textContent)")
    accented = next((n for n in names if re.search(r"[àèéìòù]", n)), None)
    if accented is None:
        pytest.skip("no accented name in this demo set")
    word = next(w for w in accented.split() if re.search(r"[àèéìòù]", w))
    plain = word.translate(str.maketrans("àèéìòù", "aeeiou"))
    page.fill("#cerca", plain)
    shown = page.evaluate("Array.from(document.querySelectorAll('main tbody tr:not([hidden]) th')).map(t => t.textContent)")
    assert accented in shown
    page.close()


@pytest.mark.parametrize("width", [320, 375, 768, 1280])
def test_no_horizontal_scrolling(browser: Any, page_file: Path, width: int) -> None:
    page = _open(browser, page_file, width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # every element ends inside the window, except the column headers that narrow screens clip to 1 px
    # (visually hidden, still read by screen readers: each cell shows its label instead)
    widest = page.evaluate(
        """Math.max(...Array.from(document.querySelectorAll('body *'))
             .filter(e => !e.closest('thead') || getComputedStyle(e.closest('thead')).position !== 'absolute')
             .map(e => e.getBoundingClientRect().right))"""
    )
    assert widest <= width + 0.5
    if SHOTS is not None and width in (375, 1280):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"elenco-{width}.png"), full_page=False)
    page.close()


def test_print_stylesheet_shows_every_area_without_the_controls(browser: Any, page_file: Path) -> None:
    page = _open(browser, page_file, 1280)
    page.select_option("#area", index=1)
    page.fill("#cerca", "zzzz-nessuno")
    page.emulate_media(media="print")
    assert not page.is_visible("#filtri")
    assert not page.is_visible("nav.indice")
    hidden_sections = page.evaluate(
        "Array.from(document.querySelectorAll('main section')).filter(s => getComputedStyle(s).display === 'none').length"
    )
    assert hidden_sections == 0
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('main tbody tr')).filter(r => getComputedStyle(r).display !== 'none').length"
    )
    assert rows == page.evaluate("document.querySelectorAll('main tbody tr').length")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.close()


def test_without_javascript_the_page_is_complete(playwright: Any, page_file: Path, tmp_path: Path) -> None:
    rows = page_file.read_text(encoding="utf-8").count('<tr data-id="')
    context = launch(playwright, tmp_path / "profile", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        assert not page.is_visible("#filtri")  # the controls need JavaScript: without it they are not shown
        assert page.is_visible("nav.indice")  # the index of areas links to each section instead
        visible = page.locator("main tbody tr").evaluate_all("rs => rs.filter(r => r.offsetParent).length")
        assert visible == rows
        second = page.locator("main section").nth(1).get_attribute("id")
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # the second area of the index
        page.keyboard.press("Enter")
        assert page.url.endswith(f"#{second}")
    finally:
        context.close()
