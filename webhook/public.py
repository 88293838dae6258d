"""`GET /elenco` and the public files beside it: the web page, the PDF and the open data.

    GET /elenco                 elenco-pubblico.html (also at /elenco-pubblico.html)
    GET /elenco-pubblico.pdf    GET /elenco-pubblico.csv    GET /elenco-pubblico.json    GET /datapackage.json

Where the files come from: with the local folder (`xlsx`) the files the last sync wrote there; with Google
Sheets (where no sync writes files) the files rendered from one read of the staff workbook, kept in the
instance folder for `CACHE_S` seconds (the cron interval), so the page follows the spreadsheet within minutes
and costs at most one Sheets request every five minutes. Every answer has a strong ETag and Cache-Control;
If-None-Match answers 304.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, request

from sync.config import XlsxBackend
from sync.pipeline import public_files_now
from webhook.context import current, refuse

bp = Blueprint("public", __name__)

CACHE_S = 300
TYPES = {
    "elenco-pubblico.html": "text/html; charset=utf-8",
    "elenco-pubblico.pdf": "application/pdf",
    "elenco-pubblico.csv": "text/csv; charset=utf-8",
    "elenco-pubblico.json": "application/json",
    "datapackage.json": "application/json",
}


def _google_files(folder: Path, now: float) -> Path:
    cache = folder / "pubblico"
    stamp = cache / ".generato"
    fresh = stamp.exists() and now - float(stamp.read_text(encoding="utf-8") or 0) < CACHE_S
    if not fresh:
        cache.mkdir(parents=True, exist_ok=True)
        for name, data in public_files_now(current().config.settings).items():
            tmp = cache / f".{name}.tmp"
            tmp.write_bytes(data)
            tmp.replace(cache / name)
        stamp.write_text(str(now), encoding="utf-8")
    return cache


def _serve(name: str) -> Response | tuple[Response, int]:
    st = current()
    backend = st.config.settings.backend
    folder = backend.folder if isinstance(backend, XlsxBackend) else _google_files(st.instance_path, st.clock())
    path = folder / name
    if not path.is_file():
        return refuse(404, "elenco_non_pubblicato")
    data = path.read_bytes()
    response = Response(data, content_type=TYPES[name])
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.headers["Cache-Control"] = f"public, max-age={CACHE_S}"
    if name != "elenco-pubblico.html":
        response.headers["Access-Control-Allow-Origin"] = "*"  # open data: readable from any site's script
    response.make_conditional(request)  # 304 without a body when If-None-Match names this ETag
    return response


@bp.get("/elenco")
@bp.get("/elenco-pubblico.html")
def page() -> Response | tuple[Response, int]:
    """The public list as a web page."""
    return _serve("elenco-pubblico.html")


@bp.get("/<any('elenco-pubblico.pdf', 'elenco-pubblico.csv', 'elenco-pubblico.json', 'datapackage.json'):name>")
def public_file(name: str) -> Response | tuple[Response, int]:
    """The PDF and the open data beside the page."""
    return _serve(name)
