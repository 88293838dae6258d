"""The pure core runs with file, network and clock access blocked.

The edge loads the settings and the reference data once, explicitly; then the whole decision of a sync —
parse, validate, resolve, render, plan — runs on a memory snapshot while opening a file, connecting a
socket or reading the clock raises. A twin test proves the block itself works.
"""

from __future__ import annotations

import builtins
import datetime as dt
import io
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from sync import plan as plan_module
from sync.backends.memory import MemoryStore
from sync.config import Settings, load_settings
from sync.parse import parse_rows
from sync.plan import plan_sync
from sync.render import ELENCO, render_elenco, staff_specs
from sync.resolve import resolve
from sync.state import State
from sync.validate import check
from tests.conftest import sample_rows

NOW = dt.datetime(2024, 5, 20, 10, 0)
# the edges: they may open files, sockets and read the clock
EDGES = ("sync.backends", "sync.pipeline", "sync.cli", "sync.config")


class Blocked(AssertionError):
    """What the core gets when it tries I/O under the block."""


def _refuse(what: str) -> Any:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise Blocked(f"the pure core tried to {what}")

    return refuse


class _NoClockMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:  # real dates and times stay instances
        return isinstance(obj, cls.__mro__[1])


class _NoClockDatetime(dt.datetime, metaclass=_NoClockMeta):
    now = classmethod(_refuse("read the clock (datetime.now)"))
    utcnow = classmethod(_refuse("read the clock (datetime.utcnow)"))
    today = classmethod(_refuse("read the clock (datetime.today)"))


class _NoClockDate(dt.date, metaclass=_NoClockMeta):
    today = classmethod(_refuse("read the clock (date.today)"))


def _core_modules() -> Iterator[Any]:
    for name, module in list(sys.modules.items()):
        if name.startswith("sync.") and not name.startswith(EDGES) and module is not None:
            yield module


def _load_at_the_edge(settings: Settings) -> None:
    """What the edge loads once per process before the core runs: reference data and lazy imports."""
    from sync import comuni, names, statistics  # noqa: F401 - statistics imports pandas when a sync plans

    names.default_table()
    comuni.index_for(settings.ambito).resolve("Crema")


@pytest.fixture
def no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Opening files, connecting sockets and reading the clock raise `Blocked` (undone after the test)."""
    monkeypatch.setattr(builtins, "open", _refuse("open a file (open)"))
    monkeypatch.setattr(io, "open", _refuse("open a file (io.open)"))
    monkeypatch.setattr(os, "open", _refuse("open a file (os.open)"))
    monkeypatch.setattr(socket.socket, "connect", _refuse("connect a socket"))
    monkeypatch.setattr(socket, "create_connection", _refuse("open a connection"))
    monkeypatch.setattr(time, "time", _refuse("read the clock (time.time)"))
    monkeypatch.setattr(time, "time_ns", _refuse("read the clock (time.time_ns)"))
    for module in _core_modules():
        if getattr(module, "datetime", None) is dt.datetime:
            monkeypatch.setattr(module, "datetime", _NoClockDatetime)
        if getattr(module, "date", None) is dt.date:
            monkeypatch.setattr(module, "date", _NoClockDate)
    yield


@pytest.fixture
def loaded() -> tuple[Settings, MemoryStore]:
    settings = load_settings("crema")
    _load_at_the_edge(settings)
    store = MemoryStore(responses=sample_rows())
    store.ensure("staff", staff_specs(settings.ambito))
    return settings, store


def test_the_core_decides_a_whole_sync_with_io_blocked(
    loaded: tuple[Settings, MemoryStore], no_io: None
) -> None:
    settings, store = loaded
    snapshot = store.read(staff_specs(settings.ambito))
    ambito = settings.ambito
    # the stages one by one ...
    parsed = parse_rows(snapshot.responses, ambito)
    checked = [check(r, ambito) for r in parsed.responses]
    assert [c.response.row for c in checked] == [2, 3, 4, 5, 6]
    resolution = resolve(parsed.responses, [], State(), ambito)
    elenco = render_elenco(resolution.organisations, ambito, [])
    assert len(elenco.rows) == 1 + sum(1 for o in resolution.organisations if o.listed)
    # ... and the whole decision
    plan = plan_sync(snapshot, settings, NOW, trigger="cron", version="test", fresh_staff=True)
    assert (plan.report.responses, plan.report.accepted, plan.report.organisations) == (5, 4, 3)
    assert len(plan.staff[ELENCO][1].rows) == len(elenco.rows)
    assert len(plan.public_writes) >= len(plan.public) and plan.staff_writes and plan.state_writes
    assert plan.state.public.updated == "20/05/2024 10:00" and plan.files_due


def _core_like_reads_a_file() -> str:
    return Path(plan_module.__file__).read_text(encoding="utf-8")


def test_the_block_refuses_files_sockets_and_the_clock(no_io: None) -> None:
    with pytest.raises(Blocked, match="open a file"):
        _core_like_reads_a_file()
    with pytest.raises(Blocked, match="open a file"):
        os.open(plan_module.__file__, os.O_RDONLY)
    with pytest.raises(Blocked, match="connect"):
        socket.create_connection(("example.org", 80))
    with pytest.raises(Blocked, match="connect a socket"), socket.socket() as s:
        s.connect(("127.0.0.1", 9))
    with pytest.raises(Blocked, match="clock"):
        time.time()
    from sync import render

    with pytest.raises(Blocked, match=r"datetime\.now"):
        render.datetime.now()
    assert isinstance(NOW, render.datetime)  # dates the core is given still are dates


def test_without_the_block_the_same_file_reads() -> None:
    assert "def plan_sync" in _core_like_reads_a_file()
