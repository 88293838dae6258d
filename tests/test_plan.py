"""The pure decision of a sync (`sync.plan`), tested directly on memory snapshots."""

from __future__ import annotations

from datetime import datetime

from sync.backends.base import RangeWrite, Snapshot
from sync.backends.memory import MemoryStore
from sync.config import Settings
from sync.diff import WantedTab, diff_tab
from sync.layouts import ELENCO, INFORMAZIONI, REGISTRO, public_specs, staff_specs
from sync.pipeline import run_sync
from sync.plan import PUBLIC_FILES_VERSION, SyncPlan, layout_digest, plan_sync, plan_tabs
from sync.shortcut import after_writes
from sync.state import STATE_HEADER, STATE_TAB, State, read_state, render_state
from tests.conftest import HEADER, make_row, sample_rows

T1 = datetime(2024, 5, 20, 10, 0)
T2 = datetime(2024, 5, 21, 9, 0)


def _fresh(settings: Settings, responses: list[list[str]]) -> MemoryStore:
    store = MemoryStore(responses=responses)
    store.ensure("staff", staff_specs(settings.ambito))
    return store


def test_the_responses_sheet_warnings_say_what_happened(crema: Settings) -> None:
    header = [*HEADER, "Domanda nuova", HEADER[1]]
    rows = [header, [*make_row(experience="x" * 6_000), "sì", "altro@ilvolo.it"]]
    snapshot = _fresh(crema, rows).read(staff_specs(crema.ambito))
    messages = {p.code: (p.row, p.value, p.message) for p in plan_tabs(snapshot, crema, T1).problems}
    assert messages["colonna_sconosciuta"] == (
        1,
        "Domanda nuova",
        "La colonna «Domanda nuova» del modulo non è usata da elenco: se è una domanda nuova, aggiungerla "
        "in `questions` nella configurazione.",
    )
    assert messages["colonna_ripetuta"] == (
        1,
        "Indirizzo email",
        "La colonna «Indirizzo email» è ripetuta: si usa la prima risposta non vuota.",
    )
    assert messages["testo_troncato"] == (
        2,
        "experience",
        "Un campo era più lungo di 5.000 caratteri ed è stato troncato negli elenchi "
        "(il modulo originale resta intatto).",
    )


def test_a_first_plan_writes_everything_and_records_it(crema: Settings) -> None:
    snapshot = _fresh(crema, sample_rows()).read(staff_specs(crema.ambito))
    plan = plan_sync(snapshot, crema, T1, trigger="cron", version="9.9", fresh_staff=True)
    assert {w.tab for w in plan.public_writes} == {s.title for s in public_specs(crema.ambito)}
    assert {w.tab for w in plan.log_writes} == {REGISTRO}
    assert {w.tab for w in plan.state_writes} == {STATE_TAB}
    assert plan.ensure_public and plan.files_due and not plan.repair_staff
    assert plan.workbooks == ["public", "staff"]
    # staff tabs made before their layout was recorded are repaired once
    assert plan_sync(snapshot, crema, T1).repair_staff
    record = plan.state.public
    assert record.updated == "20/05/2024 10:00" and record.files == PUBLIC_FILES_VERSION
    assert record.structure == layout_digest(public_specs(crema.ambito))
    assert record.staff_layout == layout_digest(staff_specs(crema.ambito))
    assert record.tabs[ELENCO].rows == len(plan.public[ELENCO]) and record.inputs and record.figures
    # the staff workbook's previous record said nothing: the snapshot's state is untouched
    assert read_state(snapshot.tabs.get(STATE_TAB, [])).public == plan.previous.public
    report = plan.report
    assert (report.responses, report.organisations, report.trigger, report.cells_written) == (5, 3, "cron", 0)
    assert report.tabs_changed[f"pubblico: {INFORMAZIONI}"] > 0


def test_a_plan_over_what_a_sync_left_writes_nothing(crema: Settings) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    plan = plan_sync(store.read(staff_specs(crema.ambito)), crema, T2)
    assert not plan.writes_anything and not plan.files_due and not plan.changes
    assert plan.state.public.updated == "20/05/2024 10:00"  # the data did not change: nor does «aggiornato»


def test_new_data_move_the_update_time_and_rewrite_only_the_public_tabs_that_changed(crema: Settings) -> None:
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    store.responses.append(make_row(name="Cooperativa Nuova", tax_code="00743110157", email="nuova@coop.it"))
    plan = plan_sync(store.read(staff_specs(crema.ambito)), crema, T2)
    assert plan.state.public.updated == "21/05/2024 09:00"
    rewritten = {w.tab for w in plan.public_writes}
    assert INFORMAZIONI in rewritten and rewritten < {s.title for s in public_specs(crema.ambito)}
    assert not plan.ensure_public and plan.files_due


def _slow_state_writes(snapshot: Snapshot, state: State) -> list[RangeWrite]:
    """The state's writes the straightforward way: its whole render diffed against the whole tab read."""
    grid = [list(r) for r in render_state(state)]
    return diff_tab(snapshot.tabs.get(STATE_TAB, []), WantedTab(STATE_TAB, grid, len(STATE_HEADER)))


def _plan_and_write(store: MemoryStore, settings: Settings, now: datetime) -> SyncPlan:
    """A plan whose state writes equal the slow path's, then written as `run_sync` writes it."""
    snapshot = store.read(staff_specs(settings.ambito))
    plan = plan_sync(snapshot, settings, now)
    assert list(plan.state_writes) == _slow_state_writes(snapshot, plan.state)
    # what the tab then reads in the machine's columns is the final state's render
    after = after_writes(snapshot.tabs, plan.state_writes).get(STATE_TAB, [])

    def trimmed(row: list[str]) -> list[str]:
        return "\x1f".join(row[: len(STATE_HEADER)]).rstrip("\x1f").split("\x1f")

    assert [trimmed(r) for r in after] == [trimmed(r) for r in render_state(plan.state)]
    run_sync(store, settings, now)
    return plan


def test_the_state_rendered_once_writes_what_rendering_the_final_state_writes(crema: Settings) -> None:
    store = MemoryStore(responses=sample_rows())
    first = _plan_and_write(store, crema, T1)  # the `_ingressi` line appears: the whole tab rendered again
    assert first.state_writes and not read_state([]).public.inputs
    # new responses: the recorded `_ingressi` line is redone alone
    store.responses += [
        make_row(timestamp=f"05/05/2024 10.0{n}.00", email=f"n{n}@ilvolo.it") for n in range(3)
    ]
    new = _plan_and_write(store, crema, T2)
    assert len(new.state.responses) == len(first.state.responses) + 3
    assert new.state.public.inputs != first.state.public.inputs
    # a decision, then a sync over what it left: nothing written
    store.staff["Decisioni"].append(["riga 4", "Accetta", "", "era una domanda vera", "", ""])
    assert _plan_and_write(store, crema, T2).state.decisions
    idle = _plan_and_write(store, crema, T2)
    assert not idle.writes_anything and not idle.state_writes


def test_a_damaged_state_tab_is_rewritten_as_the_slow_path_rewrites_it(crema: Settings) -> None:
    # every `valore` cleared: one rectangle down the column, the `_ingressi` line inside it
    store = MemoryStore(responses=sample_rows())
    run_sync(store, crema, T1)
    store.staff[STATE_TAB] = [[*r[:2], "", *r[3:]] if i else r for i, r in enumerate(store.staff[STATE_TAB])]
    plan = _plan_and_write(store, crema, T2)
    assert any(w.col == 2 and len(w.values) > 3 for w in plan.state_writes)
    # a staff cell right of the tab and a longer `_ingressi` row are kept and cleared as the slow path does
    rows = store.staff[STATE_TAB]
    at = next(i for i, r in enumerate(rows) if r[:2] == ["pubblico", "_ingressi"])
    rows[at] = [*rows[at], "x", "nota"]
    rows[at - 1] = [*rows[at - 1][:2], "altro"]
    store.responses.append(make_row(timestamp="06/05/2024 10.00.00", name="Associazione Altra APS"))
    _plan_and_write(store, crema, T2)
