"""Tests of the fake Google Sheets API (tests/fakes/sheets_api.py).

Two kinds of tests:

* fidelity: every request of the real recordings in ``tests/data/cassettes`` (gspread's own test
  cassettes, MIT) is replayed against the fake, which must answer with the recorded status code and
  JSON body (ids are mapped, a short documented list of keys is ignored);
* behaviour: gspread 6.x, unchanged, talking to the fake over HTTP (trimming, quoting, RAW vs
  USER_ENTERED, nulls, errors, fault injection, latency, counting, quota).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.http_client import BackOffHTTPClient, HTTPClient

from tests.fakes import sheets_api
from tests.fakes.sheets_api import Fault, Formula, SheetsFake, Shown

CASSETTES = Path(__file__).parent / "data" / "cassettes"

# Keys whose recorded values cannot (or need not) be reproduced; they are skipped on both sides.
IGNORED_KEYS = frozenset(
    {
        "createdTime",  # Drive timestamps of the recording day
        "modifiedTime",
        "defaultFormat",  # spreadsheet-wide default cell format: formatting is not modelled
        "spreadsheetTheme",  # theme colours and fonts: formatting is not modelled
    }
)
# Id-valued keys: never compared for equality but mapped recorded -> fake, consistently.
STRING_ID_KEYS = frozenset({"spreadsheetId", "id"})
INTEGER_ID_KEYS = frozenset({"sheetId", "protectedRangeId"})
# The service account that recorded the cassettes (it appears as the protected-range editor).
RECORDING_USER = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"
# Spreadsheets the recording account could not open (403 in the cassette).
FORBIDDEN_IN_RECORDINGS = frozenset({"1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"})


# ---------------------------------------------------------------------------------------------------
# Cassette replay


class Divergence(AssertionError):
    """The fake answered differently from the recording."""


class IdMaps:
    """Recorded -> fake ids learnt while replaying a cassette."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.integers: dict[int, int] = {0: 0}

    def learn(self, table: dict[Any, Any], recorded: Any, fake: Any, where: str) -> None:
        """Record that ``recorded`` is ``fake``; fail if it contradicts an earlier mapping."""
        if recorded in table and table[recorded] != fake:
            raise Divergence(f"{where}: id {recorded!r} was {table[recorded]!r}, now {fake!r}")
        if recorded not in table and fake in table.values():
            raise Divergence(f"{where}: fake id {fake!r} reused for recorded id {recorded!r}")
        table[recorded] = fake

    def url(self, url: str) -> str:
        """Translate recorded spreadsheet ids in a URL."""
        for recorded, fake in self.strings.items():
            url = url.replace(recorded, fake)
        return url

    def body(self, obj: Any) -> Any:
        """Translate recorded sheetIds / protectedRangeIds in a request body."""
        if isinstance(obj, dict):
            return {
                k: (self.integers.get(v, v) if k in INTEGER_ID_KEYS and isinstance(v, int) else self.body(v))
                for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self.body(item) for item in obj]
        return obj


def assert_same(expected: Any, actual: Any, ids: IdMaps, where: str = "$") -> None:
    """Compare a recorded JSON value with the fake's, mapping ids and skipping IGNORED_KEYS."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise Divergence(f"{where}: expected an object, got {actual!r}")
        keys, actual_keys = set(expected) - IGNORED_KEYS, set(actual) - IGNORED_KEYS
        if keys != actual_keys:
            raise Divergence(
                f"{where}: missing keys {sorted(keys - actual_keys)}, extra {sorted(actual_keys - keys)}"
            )
        for key in sorted(keys):
            here, exp, act = f"{where}.{key}", expected[key], actual[key]
            if key in STRING_ID_KEYS and isinstance(exp, str):
                ids.learn(ids.strings, exp, act, here)
            elif key in INTEGER_ID_KEYS and isinstance(exp, int):
                ids.learn(ids.integers, exp, act, here)
            elif key == "spreadsheetUrl":
                if ids.url(exp) != act:
                    raise Divergence(f"{here}: expected {ids.url(exp)!r}, got {act!r}")
            else:
                assert_same(exp, act, ids, here)
        return
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            raise Divergence(f"{where}: expected {expected!r}, got {actual!r}")
        for i, (exp, act) in enumerate(zip(expected, actual, strict=True)):
            assert_same(exp, act, ids, f"{where}[{i}]")
        return
    numbers = (int, float)
    same_type = type(expected) is type(actual) or (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    )
    if expected != actual or not same_type:
        raise Divergence(f"{where}: expected {expected!r}, got {actual!r}")


def replay(path: Path) -> int:
    """Replay every request of a cassette against a fresh fake; return the number of interactions."""
    interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
    with SheetsFake(locale="en_US", time_zone="Etc/GMT", user_email=RECORDING_USER) as fake:
        for spreadsheet_id in FORBIDDEN_IN_RECORDINGS:
            fake.forbid(spreadsheet_id)
        session = fake.session()
        ids = IdMaps()
        for number, interaction in enumerate(interactions):
            request, recorded = interaction["request"], interaction["response"]
            url = ids.url(request["uri"])
            data = json.dumps(ids.body(json.loads(request["body"]))) if request["body"] else None
            headers = {"Content-Type": "application/json"} if data is not None else {}
            response = session.request(request["method"], url, data=data, headers=headers)
            where = f"{path.name} #{number} {request['method']} {url}"
            if response.status_code != recorded["status"]["code"]:
                raise Divergence(
                    f"{where}: status {response.status_code}, recorded {recorded['status']['code']}: "
                    f"{response.text[:500]}"
                )
            text = recorded["body"]["string"]
            expected = json.loads(text) if text.strip() else None
            actual = response.json() if response.content.strip() else None
            try:
                assert_same(expected, actual, ids)
            except Divergence as divergence:
                raise Divergence(f"{where}: {divergence}") from None
        assert not fake.errors, fake.errors
    return len(interactions)


CASSETTE_FILES = sorted(CASSETTES.glob("*.json"))


def test_cassettes_are_present_with_licence() -> None:
    """The recordings ship with gspread's licence and a README saying where they come from."""
    assert len(CASSETTE_FILES) >= 15
    assert "Anton Burnashev" in (CASSETTES / "LICENSE-gspread.txt").read_text(encoding="utf-8")
    assert "gspread" in (CASSETTES / "README.md").read_text(encoding="utf-8")
    assert sum(p.stat().st_size for p in CASSETTES.iterdir()) < 2_000_000


@pytest.mark.parametrize("cassette", CASSETTE_FILES, ids=lambda p: p.stem)
def test_fake_matches_recording(cassette: Path) -> None:
    """The fake answers each recorded request with the recorded status and body."""
    assert replay(cassette) > 3


def test_replay_detects_a_divergent_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake that quotes every sheet name (Google does not) fails the replay."""
    monkeypatch.setattr(sheets_api, "quote_sheet_title", lambda title, always=False: f"'{title}'")
    with pytest.raises(
        Divergence, match=r"clearedRange: expected 'Sheet1!A1:Z1000', got \"'Sheet1'!A1:Z1000\""
    ):
        replay(CASSETTES / "WorksheetTest.test_batch_get.json")


def test_replay_detects_untrimmed_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake that pads rows to the requested width fails the replay."""
    original = SheetsFake._read

    def padded(*args: Any) -> list[list[Any]]:
        rows = original(*args)
        width = max((len(r) for r in rows), default=0)
        return [r + [""] * (width - len(r)) for r in rows]

    monkeypatch.setattr(SheetsFake, "_read", staticmethod(padded))
    with pytest.raises(Divergence, match="values"):
        replay(CASSETTES / "WorksheetTest.test_update_and_get.json")


def test_comparison_maps_ids_consistently() -> None:
    """Ids are mapped, not ignored: a second, different fake id for one recorded id is a divergence."""
    ids = IdMaps()
    assert_same({"sheetId": 7, "title": "a"}, {"sheetId": 99, "title": "a"}, ids)
    with pytest.raises(Divergence):
        assert_same({"sheetId": 7}, {"sheetId": 100}, ids)
    with pytest.raises(Divergence):
        assert_same({"title": "a", "hidden": True}, {"title": "a"}, ids)
    with pytest.raises(Divergence):
        assert_same([1, 2], [1, "2"], ids)
    assert_same({"createdTime": "x", "n": 1}, {"createdTime": "y", "n": 1.0}, ids)


# ---------------------------------------------------------------------------------------------------
# Direct tests through gspread


@pytest.fixture
def fake() -> Iterator[SheetsFake]:
    """A running fake with default (Italian) spreadsheet settings."""
    with SheetsFake() as running:
        yield running
        assert not running.errors, running.errors


@pytest.fixture
def gc(fake: SheetsFake) -> gspread.Client:
    """A gspread client whose requests go to the fake."""
    return fake.client()


def raw_get(fake: SheetsFake, path: str, **params: Any) -> requests.Response:
    """GET a Sheets API path on the fake directly (the "endpoint override" way)."""
    with requests.Session() as session:
        session.trust_env = False
        return session.get(fake.sheets_url + path, params=params, timeout=5)


def test_helpers_create_read_and_type(fake: SheetsFake) -> None:
    """create_spreadsheet / values / set_values / sheet_titles / metadata."""
    sid = fake.create_spreadsheet("Elenco", {"Enti": [["Nome", "CF"], ["Alfa", "007"]], "Vuoto": []})
    assert fake.sheet_titles(sid) == ["Enti", "Vuoto"]
    assert fake.values(sid, "Enti") == [["Nome", "CF"], ["Alfa", "007"]]
    fake.set_values(sid, "Enti", [["Beta", "0042"]], "A3")
    assert fake.values(sid, "Enti") == [["Nome", "CF"], ["Alfa", "007"], ["Beta", "42"]]
    assert fake.raw_cell(sid, "Enti", "B3") == 42
    meta = fake.metadata(sid)
    assert meta["properties"]["locale"] == "it_IT"
    assert meta["properties"]["timeZone"] == "Europe/Rome"
    assert [s["properties"]["index"] for s in meta["sheets"]] == [0, 1]
    assert meta["sheets"][0]["properties"]["gridProperties"] == {"rowCount": 1000, "columnCount": 26}


def test_trimming_and_absent_values(fake: SheetsFake, gc: gspread.Client) -> None:
    """Trailing empty cells and rows are trimmed, empty middle rows are [], empty ranges have no values."""
    sid = fake.create_spreadsheet("T", {"Sheet1": [["a", "", "c", ""], ["", "", ""], ["x"]]})
    sh = gc.open_by_key(sid)
    assert sh.values_get("'Sheet1'!A1:D5") == {
        "range": "Sheet1!A1:D5",
        "majorDimension": "ROWS",
        "values": [["a", "", "c"], [], ["x"]],
    }
    assert sh.values_get("Sheet1!E1:F2") == {"range": "Sheet1!E1:F2", "majorDimension": "ROWS"}
    assert sh.values_get("Sheet1!A1:C", params={"majorDimension": "COLUMNS"})["values"] == [
        ["a", "", "x"],
        [],
        ["c"],
    ]
    empty = fake.create_spreadsheet("E")
    ws = gc.open_by_key(empty).sheet1
    assert ws.get_all_values() == [[]]  # gspread's rendering of an absent "values"
    assert ws.get_all_records() == []


@pytest.mark.parametrize(
    ("requested", "echoed"),
    [
        ("'Sheet1'", "Sheet1!A1:Z1000"),
        ("Sheet1!A1:C", "Sheet1!A1:C1000"),
        ("Sheet1!A:A", "Sheet1!A1:A1000"),
        ("Sheet1!2:2", "Sheet1!A2:Z2"),
        ("Sheet1!A2:2", "Sheet1!A2:Z2"),
        ("Sheet1!B3", "Sheet1!B3"),
        ("Sheet1!D4:A1", "Sheet1!A1:D4"),
        ("B3:C4", "Sheet1!B3:C4"),
        ("'Presenze Minori e famiglia'!A1:C3", "'Presenze Minori e famiglia'!A1:C3"),
        ("Presenze Minori e famiglia!B2", "'Presenze Minori e famiglia'!B2"),
        ("'Cassina de''Pecchi'!A1:C3", "'Cassina de''Pecchi'!A1:C3"),
        ("'Cassina de''Pecchi'", "'Cassina de''Pecchi'!A1:E20"),
        ("'Zona A/B!'!A1", "'Zona A/B!'!A1"),
        ("'D3'!A1", "'D3'!A1"),
    ],
)
def test_range_parsing_and_echo(fake: SheetsFake, gc: gspread.Client, requested: str, echoed: str) -> None:
    """Ranges parse with quoted names holding spaces, apostrophes, "!" and "/"; quotes only when needed."""
    sid = fake.create_spreadsheet(
        "Q",
        {"Sheet1": [], "Presenze Minori e famiglia": [], "Zona A/B!": [], "D3": []},
    )
    fake.add_sheet(sid, "Cassina de'Pecchi", rows=20, cols=5)
    assert gc.open_by_key(sid).values_get(requested)["range"] == echoed


def test_sheet_names_with_quotes_and_slashes_through_worksheets(fake: SheetsFake, gc: gspread.Client) -> None:
    """gspread's worksheet calls work on awkward titles (the %2F-in-path trap included)."""
    titles = ["Presenze Minori e famiglia", "Cassina de'Pecchi", "Zona A/B", "Città 50%"]
    sid = fake.create_spreadsheet("Q", {title: [["titolo", title]] for title in titles})
    sh = gc.open_by_key(sid)
    for title in titles:
        ws = sh.worksheet(title)
        assert ws.get_all_values() == [["titolo", title]]
        ws.update([["scritto"]], "A2")
        assert ws.acell("A2").value == "scritto"
        assert fake.values(sid, title) == [["titolo", title], ["scritto"]]
    batch = sh.values_batch_get(["'Cassina de''Pecchi'!A1:B1", "'Zona A/B'!B1"])
    assert [vr["values"] for vr in batch["valueRanges"]] == [
        [["titolo", "Cassina de'Pecchi"]],
        [["Zona A/B"]],
    ]


def test_missing_sheet_is_an_unparsable_range(fake: SheetsFake, gc: gspread.Client) -> None:
    """A range naming a missing sheet is a 400 "Unable to parse range" (prefixed in batchUpdate)."""
    sh = gc.open_by_key(fake.create_spreadsheet("R"))
    with pytest.raises(APIError) as info:
        sh.values_get("'Nope'!A1:B2")
    assert info.value.response.json() == {
        "error": {"code": 400, "message": "Unable to parse range: 'Nope'!A1:B2", "status": "INVALID_ARGUMENT"}
    }
    with pytest.raises(APIError, match=r"Unable to parse range: 'Nope'!A1"):
        sh.values_batch_get(["Sheet1!A1", "'Nope'!A1"])
    with pytest.raises(APIError) as info:
        sh.values_batch_update(
            {"valueInputOption": "RAW", "data": [{"range": "'Nope'!A1", "values": [["x"]]}]}
        )
    assert info.value.error["message"] == "Invalid data[0]: Unable to parse range: 'Nope'!A1"


def test_writes_beyond_the_grid_are_refused(fake: SheetsFake, gc: gspread.Client) -> None:
    """Writing past rowCount/columnCount is a 400 like Google's, and nothing is written."""
    sid = fake.create_spreadsheet("G", {"Zona A": []})
    ws = gc.open_by_key(sid).sheet1
    with pytest.raises(APIError) as info:
        ws.update([["x"]], "A1001")
    assert info.value.error["message"] == (
        "Range ('Zona A'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    with pytest.raises(APIError) as info:
        ws.update([["x", "y"]], "AA1")
    assert info.value.error["message"].startswith("Range ('Zona A'!AA1:AB1) exceeds grid limits.")
    with pytest.raises(APIError) as info:
        ws.update([["x"] * 27], "A1")
    assert info.value.error["message"] == (
        "Requested writing within range ['Zona A'!A1], but tried writing to column [AA]"
    )
    with pytest.raises(APIError) as info:
        ws.update([["a"], ["b"], ["c"]], "A1:B2")
    assert info.value.error["message"] == (
        "Requested writing within range ['Zona A'!A1:B2], but tried writing to row [3]"
    )
    with pytest.raises(APIError, match=r"Range \('Zona A'!A1:Z1001\) exceeds grid limits"):
        ws.get("A1:Z1001")
    assert fake.values(sid, "Zona A") == []


def test_grid_ranges_starting_past_the_grid_are_refused(fake: SheetsFake, gc: gspread.Client) -> None:
    """batchUpdate GridRanges: refused when they start past the grid, clipped when they only end past it."""
    sid = fake.create_spreadsheet("G", {"T": []})
    sh = gc.open_by_key(sid)

    def repeat_cell(grid_range: dict[str, int]) -> dict[str, Any]:
        cell = {"userEnteredFormat": {"textFormat": {"bold": True}}}
        request = {"range": {"sheetId": 0, **grid_range}, "cell": cell, "fields": "userEnteredFormat"}
        return sh.batch_update({"requests": [{"repeatCell": request}]})

    with pytest.raises(APIError) as info:
        repeat_cell({"startRowIndex": 1000, "startColumnIndex": 0, "endColumnIndex": 2})
    assert info.value.error["message"] == (
        "Invalid requests[0].repeatCell: Range (T!A1001:B) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    with pytest.raises(APIError, match=r"Range \(T!AA1:2\) exceeds grid limits"):
        repeat_cell({"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 26})
    assert repeat_cell({"startRowIndex": 999, "endRowIndex": 1003})["replies"] == [{}]
    assert repeat_cell({"startRowIndex": 3, "endRowIndex": 3})["replies"] == [{}]
    assert fake.sheet_properties(sid, "T")["gridProperties"]["rowCount"] == 1000


def test_raw_keeps_text_user_entered_parses(fake: SheetsFake, gc: gspread.Client) -> None:
    """RAW stores strings as sent; USER_ENTERED parses numbers, booleans, formulas and the ' prefix."""
    sid = fake.create_spreadsheet("V")
    ws = gc.open_by_key(sid).sheet1
    typed = ["007", "=1+1", "+39 333", "TRUE", "'0042", "2020-01-01", "1,5"]
    ws.update([typed], "A1")  # gspread's default is RAW
    ws.update([typed], "A2", raw=False)
    assert ws.get_all_values() == [typed, ["7", "2", "#ERROR!", "TRUE", "0042", "2020-01-01", "1,5"]]
    assert ws.get_all_values(value_render_option="UNFORMATTED_VALUE") == [
        typed,
        [7, 2, "#ERROR!", True, "0042", 43831, 1.5],
    ]
    assert ws.get_all_values(value_render_option="FORMULA")[1] == [
        7,
        "=1+1",
        "=+39 333",
        True,
        "0042",
        43831,
        1.5,
    ]
    assert fake.raw_cell(sid, "Sheet1", "B1") == "=1+1"
    assert fake.raw_cell(sid, "Sheet1", "B2") == Formula("=1+1")
    assert fake.raw_cell(sid, "Sheet1", "F2") == Shown(43831, "2020-01-01", is_date=True)
    ws.update([[7, 1.5, True, 3.0]], "A3")
    assert ws.row_values(3) == ["7", "1.5", "TRUE", "3"]
    assert ws.row_values(3, value_render_option="UNFORMATTED_VALUE") == [7, 1.5, True, 3]


def test_numbers_follow_the_spreadsheet_locale(fake: SheetsFake, gc: gspread.Client) -> None:
    """USER_ENTERED reads "1.234,5" as a number in it_IT and "1,234.5" in en_US."""
    it = gc.open_by_key(fake.create_spreadsheet("it")).sheet1
    us = gc.open_by_key(fake.create_spreadsheet("us", locale="en_US")).sheet1
    it.update([["1.234,5", "1,234.5", "25/12/2024"]], "A1", raw=False)
    us.update([["1.234,5", "1,234.5", "12/25/2024"]], "A1", raw=False)
    assert it.row_values(1, value_render_option="UNFORMATTED_VALUE") == [1234.5, "1,234.5", 45651]
    assert us.row_values(1, value_render_option="UNFORMATTED_VALUE") == ["1.234,5", 1234.5, 45651]


def test_nulls_in_bodies(fake: SheetsFake, gc: gspread.Client) -> None:
    """JSON nulls for options are accepted, null cells are skipped, "" clears a cell."""
    sid = fake.create_spreadsheet("N", {"Sheet1": [["a", "b", "c"]]})
    ws = gc.open_by_key(sid).sheet1
    # gspread sends nulls: {"valueInputOption": "RAW", "includeValuesInResponse": null, ...}
    result = ws.batch_update([{"range": "A1:C1", "values": [[None, "", "C"]]}])
    assert result["responses"][0]["updatedCells"] == 2
    assert ws.get_all_values() == [["a", "", "C"]]
    response = ws.update([[None, "B"]], "A1", major_dimension=None)
    assert response["updatedRange"] == "Sheet1!A1:B1"
    assert (response["updatedRows"], response["updatedColumns"], response["updatedCells"]) == (1, 1, 1)
    assert fake.values(sid, "Sheet1") == [["a", "B", "C"]]


def test_not_found_and_forbidden(fake: SheetsFake, gc: gspread.Client) -> None:
    """Unknown ids answer 404 and forbidden ones 403, with Google's bodies and gspread's exceptions."""
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key("no-such-spreadsheet")
    assert raw_get(fake, "/no-such-spreadsheet").json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }
    secret = fake.create_spreadsheet("Segreto")
    fake.forbid(secret)
    with pytest.raises(PermissionError):
        gc.open_by_key(secret)
    response = raw_get(fake, f"/{secret}/values/A1")
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
        }
    }


def test_endpoint_override_without_the_adapter(fake: SheetsFake) -> None:
    """Plain HTTP to http://127.0.0.1:PORT/v4/spreadsheets/... works, encoded or not."""
    sid = fake.create_spreadsheet("O", {"Zona A/B": [["1", "2"]]})
    encoded = raw_get(fake, f"/{sid}/values/%27Zona%20A%2FB%27%21A1%3AB1")
    assert encoded.json()["values"] == [["1", "2"]]
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(f"{fake.sheets_url}/{sid}/values/'Zona A%2FB'!A1:B1", timeout=5)
    assert response.json()["range"] == "'Zona A/B'!A1:B1"
    http = HTTPClient(auth=None, session=fake.session())  # type: ignore[arg-type]
    assert http.values_get(sid, "'Zona A/B'!B1")["values"] == [["2"]]


def test_gspread_create_and_delete_through_drive(fake: SheetsFake, gc: gspread.Client) -> None:
    """client.create / open / del_spreadsheet work through the fake Drive calls."""
    sh = gc.create("Nuovo elenco")
    assert sh.title == "Nuovo elenco"
    assert sh.sheet1.title == "Sheet1"
    assert gc.open("Nuovo elenco").id == sh.id
    assert sh.get_lastUpdateTime().endswith("Z")
    gc.del_spreadsheet(sh.id)
    assert sh.id not in fake.spreadsheet_ids()
    with pytest.raises(SpreadsheetNotFound):
        gc.open_by_key(sh.id)


def test_append_detects_the_table(fake: SheetsFake, gc: gspread.Client) -> None:
    """append writes under the table found in the range, growing the grid when needed."""
    sid = fake.create_spreadsheet("A", {"Sheet1": [["h1", "h2"], ["a", "b"]]}, rows=2, cols=2)
    ws = gc.open_by_key(sid).sheet1
    result = ws.append_row(["c", "d"], table_range="A1")
    assert result["tableRange"] == "Sheet1!A1:B2"
    assert result["updates"]["updatedRange"] == "Sheet1!A3:B3"
    ws.append_rows([["e", "f", "g"]], value_input_option="USER_ENTERED", insert_data_option="INSERT_ROWS")
    assert fake.values(sid, "Sheet1") == [["h1", "h2"], ["a", "b"], ["c", "d"], ["e", "f", "g"]]
    props = fake.sheet_properties(sid, "Sheet1")["gridProperties"]
    assert (props["rowCount"], props["columnCount"]) == (4, 3)


def test_batch_update_is_atomic_and_mirrors_requests(fake: SheetsFake, gc: gspread.Client) -> None:
    """spreadsheets.batchUpdate validates all requests first and replies one entry per request."""
    sid = fake.create_spreadsheet("B", {"Sheet1": [["a"], ["b"]]})
    sh = gc.open_by_key(sid)
    with pytest.raises(APIError) as info:
        sh.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Nuovo"}}},
                    {"addSheet": {"properties": {"title": "sheet1"}}},
                ]
            }
        )
    assert info.value.error["message"] == (
        'Invalid requests[1].addSheet: A sheet with the name "sheet1" already exists. '
        "Please enter another name."
    )
    assert fake.sheet_titles(sid) == ["Sheet1"]
    reply = sh.batch_update(
        {
            "requests": [
                {
                    "addSheet": {
                        "properties": {
                            "title": "Enti",
                            "index": 0,
                            "gridProperties": {"rowCount": 5, "columnCount": 3, "frozenRowCount": 1},
                        }
                    }
                },
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": 0, "title": "Vecchio", "hidden": True},
                        "fields": "title,hidden",
                    }
                },
                {
                    "insertDimension": {
                        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}
                    }
                },
                {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}},
                {
                    "repeatCell": {
                        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                {
                    "autoResizeDimensions": {
                        "dimensions": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 2}
                    }
                },
                {
                    "updateDimensionProperties": {
                        "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2},
                        "properties": {"hiddenByUser": True},
                        "fields": "hiddenByUser",
                    }
                },
            ]
        }
    )
    assert len(reply["replies"]) == 7
    added = reply["replies"][0]["addSheet"]["properties"]
    assert added["title"] == "Enti" and added["index"] == 0
    assert added["gridProperties"] == {"rowCount": 5, "columnCount": 3, "frozenRowCount": 1}
    assert reply["replies"][1:] == [{}] * 6
    assert fake.sheet_titles(sid) == ["Enti", "Vecchio"]
    assert fake.values(sid, "Vecchio") == [[], ["a"], ["b"]]
    assert fake.sheet_properties(sid, "Vecchio")["hidden"] is True
    assert fake.sheet_properties(sid, "Vecchio")["gridProperties"]["columnCount"] == 30
    assert fake.dimension_properties(sid, "Vecchio", "COLUMNS") == {1: {"hiddenByUser": True}}
    sh.batch_update({"requests": [{"deleteSheet": {"sheetId": 0}}]})
    assert fake.sheet_titles(sid) == ["Enti"]
    with pytest.raises(APIError, match=r"You can't remove all the sheets in a document"):
        sh.batch_update({"requests": [{"deleteSheet": {"sheetId": added["sheetId"]}}]})


def test_validation_protection_and_freeze(fake: SheetsFake, gc: gspread.Client) -> None:
    """add_validation, add_protected_range and freeze are stored and show in metadata."""
    sid = fake.create_spreadsheet("P", {"Sheet1": [["Stato"], ["attivo"]]})
    ws = gc.open_by_key(sid).sheet1
    ws.add_validation(
        "B2:B10", gspread.utils.ValidationConditionType.one_of_list, ["attivo", "cessato"], showCustomUi=True
    )
    rule = fake.validation_at(sid, "Sheet1", "B5")
    assert rule is not None and rule["condition"]["type"] == "ONE_OF_LIST"
    assert fake.validation_at(sid, "Sheet1", "A5") is None
    reply = ws.add_protected_range("A1:H1", editor_users_emails=[], description="intestazione")
    protected = reply["replies"][0]["addProtectedRange"]["protectedRange"]
    assert protected["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 8,
    }
    assert protected["description"] == "intestazione" and protected["editors"] == {}
    ws.freeze(rows=1)
    sheet = fake.metadata(sid)["sheets"][0]
    assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert sheet["protectedRanges"][0]["editors"] == {"users": [sheets_api.DEFAULT_USER_EMAIL]}
    assert (
        gc.open_by_key(sid).list_protected_ranges(0)[0]["protectedRangeId"] == protected["protectedRangeId"]
    )
    ws.delete_protected_range(protected["protectedRangeId"])
    assert fake.protected_ranges(sid, "Sheet1") == []


def test_values_include_values_in_response(fake: SheetsFake, gc: gspread.Client) -> None:
    """includeValuesInResponse returns updatedData rendered with the response render option."""
    ws = gc.open_by_key(fake.create_spreadsheet("I")).sheet1
    response = ws.update([["=2*3", "x"]], "B2", raw=False, include_values_in_response=True)
    assert response["updatedData"] == {
        "range": "Sheet1!B2:C2",
        "majorDimension": "ROWS",
        "values": [["6", "x"]],
    }


def test_sheets_create_endpoint(fake: SheetsFake) -> None:
    """POST /v4/spreadsheets creates a spreadsheet with the given properties and sheets."""
    http = HTTPClient(auth=None, session=fake.session())  # type: ignore[arg-type]
    body = {
        "properties": {"title": "Registro", "locale": "en_US"},
        "sheets": [{"properties": {"title": "Enti", "gridProperties": {"rowCount": 10, "columnCount": 4}}}],
    }
    created = http.request("post", "https://sheets.googleapis.com/v4/spreadsheets", json=body).json()
    assert created["properties"]["title"] == "Registro"
    assert created["properties"]["locale"] == "en_US"
    assert created["properties"]["timeZone"] == "Europe/Rome"
    assert created["sheets"][0]["properties"]["gridProperties"] == {"rowCount": 10, "columnCount": 4}
    assert fake.sheet_titles(created["spreadsheetId"]) == ["Enti"]


def test_columns_major_dimension(fake: SheetsFake, gc: gspread.Client) -> None:
    """majorDimension=COLUMNS works for writing and reading."""
    sid = fake.create_spreadsheet("C")
    ws = gc.open_by_key(sid).sheet1
    response = ws.update([["a", "b"], ["c"]], "B2", major_dimension="COLUMNS")
    assert response["updatedRange"] == "Sheet1!B2:C3"
    assert fake.values(sid, "Sheet1") == [[], ["", "a", "c"], ["", "b"]]
    assert ws.get("B2:C3", major_dimension="COLUMNS") == [["a", "b"], ["c"]]
    assert ws.col_values(2) == ["", "a", "b"]


def test_clear_and_batch_clear(fake: SheetsFake, gc: gspread.Client) -> None:
    """values.clear and values.batchClear empty the ranges and echo them resolved."""
    sid = fake.create_spreadsheet("K", {"Sheet1": [["a", "b", "c"], ["d", "e", "f"]]})
    sh = gc.open_by_key(sid)
    ws = sh.sheet1
    assert sh.values_clear("Sheet1!B:B") == {"spreadsheetId": sid, "clearedRange": "Sheet1!B1:B1000"}
    assert ws.batch_clear(["A1", "C2:C"]) == {
        "spreadsheetId": sid,
        "clearedRanges": ["Sheet1!A1", "Sheet1!C2:C1000"],
    }
    assert fake.values(sid, "Sheet1") == [["", "", "c"], ["d"]]
    ws.clear()
    assert fake.values(sid, "Sheet1") == []


def test_metadata_fields_mask(fake: SheetsFake, gc: gspread.Client) -> None:
    """spreadsheets.get honours ``fields`` (dotted, slashed or parenthesised)."""
    sid = fake.create_spreadsheet("M", {"Uno": [], "Due": []})
    sh = gc.open_by_key(sid)
    assert sh.fetch_sheet_metadata({"fields": "sheets.properties.title"}) == {
        "sheets": [{"properties": {"title": "Uno"}}, {"properties": {"title": "Due"}}]
    }
    assert sh.fetch_sheet_metadata({"fields": "properties(title,locale),spreadsheetId"}) == {
        "spreadsheetId": sid,
        "properties": {"title": "M", "locale": "it_IT"},
    }
    assert sh.fetch_sheet_metadata({"fields": "sheets/properties/sheetId"})["sheets"][0] == {
        "properties": {"sheetId": 0}
    }


def test_unknown_and_unimplemented_requests(fake: SheetsFake, gc: gspread.Client) -> None:
    """Unknown request names are a 400 like Google's; real but unmodelled ones a 501; nothing applies."""
    sid = fake.create_spreadsheet("U")
    sh = gc.open_by_key(sid)
    with pytest.raises(APIError) as info:
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "X"}}}, {"makeCoffee": {}}]})
    assert info.value.code == 400
    assert info.value.error["message"] == (
        "Invalid JSON payload received. Unknown name \"makeCoffee\" at 'requests[1]': Cannot find field."
    )
    with pytest.raises(APIError) as info:
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "X"}}}, {"addNamedRange": {}}]})
    assert info.value.code == 501
    assert fake.sheet_titles(sid) == ["Sheet1"]
    assert fake.applied_requests(sid) == []


def test_inserting_rows_shifts_cells_and_protections(fake: SheetsFake, gc: gspread.Client) -> None:
    """insertDimension/deleteDimension move cells, protected ranges and validations with the rows."""
    sid = fake.create_spreadsheet("S", {"Sheet1": [["h"], ["r2"], ["r3"]]})
    ws = gc.open_by_key(sid).sheet1
    ws.add_protected_range("A3:B3", editor_users_emails=[])
    ws.add_validation("B3", gspread.utils.ValidationConditionType.boolean, [])
    ws.insert_rows([["nuova"]], row=2)
    assert fake.values(sid, "Sheet1") == [["h"], ["nuova"], ["r2"], ["r3"]]
    assert fake.protected_ranges(sid, "Sheet1")[0]["range"]["startRowIndex"] == 3
    assert fake.validation_at(sid, "Sheet1", "B4") is not None
    assert fake.validation_at(sid, "Sheet1", "B3") is None
    ws.delete_rows(2, 3)
    assert fake.values(sid, "Sheet1") == [["h"], ["r3"]]
    assert fake.protected_ranges(sid, "Sheet1")[0]["range"]["startRowIndex"] == 1
    assert fake.sheet_properties(sid, "Sheet1")["gridProperties"]["rowCount"] == 1000 + 1 - 2


def test_formulas_that_are_not_arithmetic_render_as_their_text(fake: SheetsFake, gc: gspread.Client) -> None:
    """Only plain arithmetic is evaluated; other formulas render as written (a documented limit)."""
    ws = gc.open_by_key(fake.create_spreadsheet("F")).sheet1
    ws.update([["=SUM(A2:A3)", "=10/4", "=1/0"]], "A1", raw=False)
    assert ws.row_values(1) == ["=SUM(A2:A3)", "2.5", "#DIV/0!"]
    assert ws.row_values(1, value_render_option="FORMULA") == ["=SUM(A2:A3)", "=10/4", "=1/0"]


def test_drive_listing(fake: SheetsFake, gc: gspread.Client) -> None:
    """Drive files.list filters by the name in ``q``; forbidden files are not listed."""
    first = fake.create_spreadsheet("Elenco 2025")
    fake.create_spreadsheet("Altro")
    hidden = fake.create_spreadsheet("Elenco 2025")
    fake.forbid(hidden)
    files = gc.list_spreadsheet_files("Elenco 2025")
    assert [f["id"] for f in files] == [first]
    assert {f["name"] for f in gc.list_spreadsheet_files()} == {"Elenco 2025", "Altro"}


# -- instrumentation -------------------------------------------------------------------------------


def test_request_counting_and_reset(fake: SheetsFake, gc: gspread.Client) -> None:
    """Every request is counted by method and endpoint kind."""
    sid = fake.create_spreadsheet("C")
    ws = gc.open_by_key(sid).sheet1
    ws.get_all_values()
    ws.update([["a"]], "A1")
    ws.batch_get(["A1", "B1"])
    assert fake.count() == 5  # open_by_key and sheet1 each fetch the metadata
    assert fake.count("spreadsheets.get") == 2
    assert fake.count("values") == 3
    assert fake.count("read") == 4 and fake.count("write") == 1
    assert fake.count(method="PUT") == 1
    method, kind, path = fake.requests[3]
    assert (method, kind) == ("PUT", "values.update")
    assert path.endswith("/values/%27Sheet1%27%21A1")
    assert json.loads(fake.log[3].body) == {"values": [["a"]], "majorDimension": None}
    fake.reset_counts()
    assert fake.count() == 0 and fake.requests == []


@pytest.mark.parametrize("code", [429, 500, 503])
def test_error_faults_are_not_applied(fake: SheetsFake, gc: gspread.Client, code: int) -> None:
    """An injected 429/500/503 answers Google's error body and leaves the state unchanged."""
    sid = fake.create_spreadsheet("F")
    ws = gc.open_by_key(sid).sheet1
    fake.fail_next("values.update", code)
    with pytest.raises(APIError) as info:
        ws.update([["x"]], "A1")
    assert info.value.code == code
    assert fake.values(sid, "Sheet1") == []
    ws.update([["y"]], "A1")  # the fault was used up
    assert fake.values(sid, "Sheet1") == [["y"]]
    if code == 429:
        error = info.value.response.json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        assert error["message"].startswith(
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
            "of service 'sheets.googleapis.com' for consumer 'project_number:"
        )


def test_applied_fault_commits_the_write(fake: SheetsFake, gc: gspread.Client) -> None:
    """("503", applied=True): the write commits but the client sees an error (then a retry duplicates)."""
    sid = fake.create_spreadsheet("F", {"Sheet1": [["h"]]})
    ws = gc.open_by_key(sid).sheet1
    fake.fail_next("values.append", Fault("503", applied=True))
    with pytest.raises(APIError) as info:
        ws.append_row(["r1"])
    assert info.value.code == 503
    assert fake.values(sid, "Sheet1") == [["h"], ["r1"]]
    ws.append_row(["r1"])
    assert fake.values(sid, "Sheet1") == [["h"], ["r1"], ["r1"]]
    fake.fail_next("write", ("500", True))
    with pytest.raises(APIError):
        ws.update([["z"]], "B1")
    assert fake.raw_cell(sid, "Sheet1", "B1") == "z"


@pytest.mark.parametrize("applied", [False, True])
def test_timeout_fault(fake: SheetsFake, gc: gspread.Client, applied: bool) -> None:
    """ "timeout": the server holds the answer longer than the client waits; applied decides the write."""
    sid = fake.create_spreadsheet("T")
    ws = gc.open_by_key(sid).sheet1
    gc.set_timeout(0.2)
    fake.fail_next("values.update", Fault("timeout", applied=applied, delay=2.0))
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        ws.update([["x"]], "A1")
    assert time.monotonic() - started < 1.5
    assert fake.values(sid, "Sheet1") == ([["x"]] if applied else [])


def test_slow_answer_within_client_timeout(fake: SheetsFake, gc: gspread.Client) -> None:
    """A non-applied "timeout" shorter than the client's timeout ends in a 504."""
    ws = gc.open_by_key(fake.create_spreadsheet("T")).sheet1
    fake.timeout_delay = 0.1
    fake.fail_next("values.get", "timeout")
    with pytest.raises(APIError) as info:
        ws.get_all_values()
    assert info.value.code == 504


@pytest.mark.parametrize("applied", [False, True])
def test_drop_fault(fake: SheetsFake, gc: gspread.Client, applied: bool) -> None:
    """ "drop": the connection closes without an answer; applied decides the write."""
    sid = fake.create_spreadsheet("D")
    ws = gc.open_by_key(sid).sheet1
    fake.fail_next("values.batchUpdate", Fault("drop", applied=applied))
    with pytest.raises(requests.exceptions.ConnectionError):
        ws.batch_update([{"range": "A1", "values": [["x"]]}])
    assert fake.values(sid, "Sheet1") == ([["x"]] if applied else [])
    assert ws.acell("A1").value == ("x" if applied else None)


def test_scheduled_faults_by_request_number(fake: SheetsFake, gc: gspread.Client) -> None:
    """schedule_faults fails the n-th request (1-based) whatever its kind."""
    sid = fake.create_spreadsheet("S")
    ws = gc.open_by_key(sid).sheet1  # requests 1 and 2
    fake.schedule_faults({4: 500, 5: "429"})
    ws.get_all_values()  # 3
    with pytest.raises(APIError) as first:
        ws.get_all_values()  # 4
    with pytest.raises(APIError) as second:
        ws.get_all_values()  # 5
    assert (first.value.code, second.value.code) == (500, 429)
    assert "'Read requests'" in second.value.error["message"]
    assert ws.get_all_values() == [[]]  # 6
    assert [entry.status for entry in fake.log] == [200, 200, 200, 500, 429, 200]


def test_backoff_client_retries_through_injected_faults(
    fake: SheetsFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gspread's BackOffHTTPClient retries a 503 and a 429 (sleeps patched out)."""
    monkeypatch.setattr("gspread.http_client.time.sleep", lambda seconds: None)
    sid = fake.create_spreadsheet("R")
    gc = fake.client(http_client=BackOffHTTPClient)
    ws = gc.open_by_key(sid).sheet1
    fake.reset_counts()
    fake.fail_next("values.update", 503)
    fake.fail_next("values.update", 429)
    ws.update([["ok"]], "A1")
    assert fake.count("values.update") == 3
    assert fake.values(sid, "Sheet1") == [["ok"]]


def test_latency(fake: SheetsFake, gc: gspread.Client) -> None:
    """fake.latency delays every answer."""
    ws = gc.open_by_key(fake.create_spreadsheet("L")).sheet1
    fake.latency = 0.3
    started = time.monotonic()
    ws.get_all_values()
    assert time.monotonic() - started >= 0.3


def test_quota_mode_per_minute_per_user(fake: SheetsFake, gc: gspread.Client) -> None:
    """With quota_per_minute=60, the 61st read within a rolling minute is a 429; writes count apart."""
    now = [1000.0]
    fake.clock = lambda: now[0]
    sid = fake.create_spreadsheet("Q")
    sh = gc.open_by_key(sid)
    fake.quota_per_minute = 60
    for _ in range(60):
        sh.values_get("A1")
    with pytest.raises(APIError) as info:
        sh.values_get("A1")
    assert info.value.code == 429
    assert "'Read requests per minute per user'" in info.value.error["message"]
    sh.values_update("A1", params={"valueInputOption": "RAW"}, body={"values": [["w"]]})  # writes: own bucket
    other_user = fake.session()
    other_user.headers["Authorization"] = "Bearer another-user"  # users are told apart by their token
    assert other_user.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/A1", timeout=5).ok
    now[0] += 30
    with pytest.raises(APIError):
        sh.values_get("A1")
    now[0] += 31
    assert sh.values_get("A1")["values"] == [["w"]]
    fake.quota_per_minute = None


def test_concurrent_appends_are_serialised(fake: SheetsFake) -> None:
    """Parallel clients appending rows never lose or overwrite a row (state is locked)."""
    sid = fake.create_spreadsheet("P", {"Sheet1": [["h"]]})
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            ws = fake.client().open_by_key(sid).sheet1
            for i in range(5):
                ws.append_row([f"{n}-{i}"])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rows = fake.values(sid, "Sheet1")
    assert rows[0] == ["h"]
    assert sorted(r[0] for r in rows[1:]) == sorted(f"{n}-{i}" for n in range(6) for i in range(5))


def test_start_stop_and_sessions() -> None:
    """start()/stop() can be used without a with-block; stop closes the sessions it made."""
    fake = SheetsFake().start()
    try:
        assert fake.running and fake.base_url.startswith("http://127.0.0.1:")
        session = fake.session()
        sid = fake.create_spreadsheet("S")
        assert session.get(f"https://sheets.googleapis.com/v4/spreadsheets/{sid}", timeout=5).ok
    finally:
        fake.stop()
    assert not fake.running
    with pytest.raises(RuntimeError):
        _ = fake.base_url
