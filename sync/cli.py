"""`elenco …` — thin click commands over the library; errors become Italian messages and exit codes.

Exit codes: 0 ok, 1 a problem a person must fix (configuration, sheet structure, a locked file),
2 wrong usage, 3 a temporary failure (quota, network): run again later.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sync import labels
from sync.backends import open_backend
from sync.config import Settings, XlsxBackend, load_settings
from sync.errors import ElencoError, TransientError

if TYPE_CHECKING:  # the pipeline is imported by the commands that sync, not by `--help`
    from sync.backends.base import Snapshot
    from sync.pipeline import SyncPlan
    from sync.resolve import Resolution

F = TypeVar("F", bound=Callable[..., Any])
PLUGIN_GROUP = "elenco.commands"  # commands other packages add (webhook: `serve`), declared in pyproject.toml


@contextmanager
def presenting_errors() -> Iterator[None]:
    """Present run problems as Italian messages with distinct exit codes, never as tracebacks."""
    try:
        yield
    except TransientError as err:
        click.echo(labels.say("cli_errore_temporaneo", error=err), err=True)
        sys.exit(3)
    except ElencoError as err:
        click.echo(labels.say("cli_errore", error=err), err=True)
        sys.exit(1)


class _Commands(click.Group):
    """The group of `elenco` commands, plus those other packages register under `elenco.commands`.

    `sync` never imports `webhook`: `elenco serve` lives in `webhook.serve` and is found through the
    package metadata, loaded only when it is listed or run.
    """

    def _plugins(self) -> dict[str, click.Command]:
        found: dict[str, click.Command] = {}
        for ep in entry_points(group=PLUGIN_GROUP):
            if ep.name not in self.commands:
                found[ep.name] = ep.load()
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(ep.name for ep in entry_points(group=PLUGIN_GROUP))})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            command = self._plugins().get(cmd_name)
        return command


@click.group(
    cls=_Commands, help=labels.CLI_COMMANDS["cli"], context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(package_name="elenco")
def cli() -> None:
    """`elenco`: the register of Terzo Settore bodies for the Piano di Zona, from the Google form to the sheets."""


def config_option(f: F) -> F:
    """The `--config FILE` option every command takes."""
    return click.option(
        "--config",
        "config",
        required=True,
        metavar="FILE",
        help=labels.CLI_HELP["config"],
    )(f)


def load_config(config: str) -> Settings:
    """The settings a `--config` value names (a file or a preset)."""
    return load_settings(config)


def _print_summary(report: dict[str, Any], folder: Path | None) -> None:
    click.echo(labels.say("cli_risposte", **report))
    click.echo(labels.say("cli_enti", **report))
    click.echo(labels.say("cli_per_area"))
    for area, n in report["per_area"].items():
        click.echo(labels.say("cli_area", area=area, n=n))
    click.echo(labels.say("cli_celle", **report))
    if folder is not None:
        click.echo(labels.say("cli_file_in", folder=folder))
        for name in (
            "elenco-interno.xlsx",
            "elenco-pubblico.xlsx",
            "elenco-pubblico.html",
            "elenco-pubblico.pdf",
            "elenco-pubblico.csv",
            "elenco-pubblico.json",
            "datapackage.json",
        ):
            if (folder / name).exists():
                click.echo(f"  {folder / name}")


@cli.command(help=labels.CLI_COMMANDS["sync"])
@config_option
@click.option("--dry-run", is_flag=True, help=labels.CLI_HELP["dry_run"])
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=labels.CLI_HELP["report"],
)
@click.option("--trigger", default="manuale", hidden=True)
def sync(config: str, dry_run: bool, report_path: Path | None, trigger: str) -> None:
    """Read the form's responses and update the staff list, the public one and the attendance sheets."""
    from sync.pipeline import sync_now

    with presenting_errors():
        settings = load_config(config)
        result = sync_now(settings, trigger=trigger, dry_run=dry_run)
    report = result.report.model_dump()
    if dry_run:
        click.echo(labels.say("cli_anteprima"))
        for line in result.preview.lines() if result.preview else []:
            click.echo(line)
        for line in result.created:
            click.echo(f"  {line}")
    folder = settings.backend.folder if isinstance(settings.backend, XlsxBackend) else None
    _print_summary(report, None if dry_run else folder)
    if report_path is not None:
        _write_json(report_path, report)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@cli.command(help=labels.CLI_COMMANDS["init"])
@config_option
def init(config: str) -> None:
    """Create or repair the tabs of both workbooks (headers, protections, the decisions' dropdown)."""
    from sync.layouts import public_specs, staff_specs

    with presenting_errors():
        settings = load_config(config)
        backend = open_backend(settings)
        done = backend.ensure("staff", staff_specs(settings.ambito))
        done += backend.ensure("public", public_specs(settings.ambito))
    if done:
        for line in done:
            click.echo(line)
    else:
        click.echo(labels.say("cli_init_niente"))


@cli.command(help=labels.CLI_COMMANDS["check"])
@config_option
def check(config: str) -> None:
    """Check the configuration and the workbooks' structure, writing nothing."""
    from sync.layouts import public_specs, staff_specs
    from sync.modulo import BLOCKING_DIFFERENCES, compare_header
    from sync.parse import parse_rows

    with presenting_errors():
        settings = load_config(config)
        click.echo(labels.say("cli_config_valida", ambito=settings.ambito.name, kind=settings.backend.kind))
        backend = open_backend(settings)
        snapshot = backend.read(staff_specs(settings.ambito))
        parsed = parse_rows(snapshot.responses, settings.ambito)
        click.echo(labels.say("cli_risposte_modulo", n=len(parsed.responses), origin=snapshot.responses_origin))
        header = [str(c) for c in snapshot.responses[0]] if snapshot.responses else []
        differences = compare_header(header, settings.ambito) if any(header) else []
        todo = backend.ensure("staff", staff_specs(settings.ambito), dry_run=True)
        todo += backend.ensure("public", public_specs(settings.ambito), dry_run=True)
    if not any(header):
        click.echo(labels.say("cli_check_vuoto"))
    elif differences:
        click.echo(labels.say("cli_check_diversi"))
    else:
        click.echo(labels.say("cli_check_uguali"))
    for d in differences:
        click.echo(labels.say("cli_check_differenza", message=d.message))
    for line in todo:
        click.echo(labels.say("cli_check_da_fare", line=line))
    if todo or any(d.code in BLOCKING_DIFFERENCES for d in differences):
        sys.exit(1)
    click.echo(labels.say("cli_check_completo"))


@cli.command(help=labels.CLI_COMMANDS["stampa"])
@config_option
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=labels.CLI_HELP["stampa_out"],
)
def stampa(config: str, out: Path | None) -> None:
    """Write a printable attendance sheet (A4 landscape, signatures) for every meeting of every area and plenary."""
    from sync.backends.printout import write_printables
    from sync.printables import render_printables

    with presenting_errors():
        settings = load_config(config)
        _, plan, _ = _planned(settings)
        sheets = render_printables(plan.resolution.organisations, settings.ambito, plan.calendar)
        if out is None:
            base = settings.backend.folder if isinstance(settings.backend, XlsxBackend) else Path.cwd()
            out = base / labels.PRINT_FOLDER
        paths = write_printables(out, sheets)
    if not paths:
        click.echo(labels.say("cli_stampa_nessuna"))
    for path in paths:
        click.echo(str(path))


@cli.command(help=labels.CLI_COMMANDS["pubblica"])
@config_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=labels.CLI_HELP["pubblica_out"],
)
def pubblica(config: str, out: Path) -> None:
    """Write the public list's web page and PDF (with the open data), to upload to the Comune's site."""
    import errno

    from sync.public_files import long_date_time, public_files

    with presenting_errors():
        settings = load_config(config)
        # one read of the staff workbook, the same plan a sync makes: the list as the public spreadsheet has it
        plist = _planned(settings)[1].public_list
        # the page links its PDF and open data by relative address: they travel together
        files = public_files(plist)
    written: list[Path] = []
    for name, data in files.items():
        target = out / name
        tmp = out / f".{name}.tmp"
        try:
            out.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as err:
            reason = (
                labels.PUBLISH_NO_PERMISSION
                if isinstance(err, PermissionError)
                else labels.PUBLISH_OS_ERROR.format(code=errno.errorcode.get(err.errno or 0, err.errno))
            )
            error = labels.PUBLISH_CANNOT_WRITE.format(path=target, reason=reason)
            click.echo(labels.say("cli_errore", error=error), err=True)
            sys.exit(1)
        written.append(target)
    click.echo(
        labels.PUBLISH_SUMMARY.format(
            ambito=settings.ambito.name,
            count=labels.orgs_count(len(plist.entries)),
            date=long_date_time(plist.updated),
        )
    )
    click.echo(labels.PUBLISH_WRITTEN.format(folder=out))
    for path in written:
        click.echo(labels.PUBLISH_FILES[path.name].format(path=path))


@cli.command(help=labels.CLI_COMMANDS["modulo"])
@config_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=labels.CLI_HELP["modulo_out"],
)
def modulo(config: str, out: Path) -> None:
    """Write the Apps Script whose creaModulo() builds the Google form from the configuration."""
    from importlib import resources

    from sync.modulo import apps_script, form_spec

    with presenting_errors():
        settings = load_settings(config)
        template = (resources.files("sheets_templates") / "apps_script" / "CreaModulo.gs").read_text(
            encoding="utf-8"
        )
        spec = form_spec(settings.ambito)
        text = apps_script(spec, template, settings.ambito)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "CreaModulo.gs"
    tmp = out / ".CreaModulo.gs.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    click.echo(labels.say("cli_modulo_scritto", path=target, n=len(spec.domande), ambito=settings.ambito.name))
    click.echo(labels.say("cli_modulo_come"))


def resolve_grid(grid: list[list[str]], settings: Settings) -> Resolution:
    """What `elenco resolve` does between reading the responses and writing its CSV."""
    from sync.parse import parse_rows
    from sync.resolve import resolve as resolve_rows
    from sync.state import State

    parsed = parse_rows(grid, settings.ambito)
    # One batch makes no reference cycles (after it a full collection finds nothing to free), but the
    # objects it keeps set off a full scan of the whole heap each time it grows by a quarter: a quarter
    # of the time, on 27,000 rows (measured by bench/bench_local.py). So what has been read is kept out
    # of the scans and the collector waits for the batch to end; the process is then left as it was.
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return resolve_rows(parsed.responses, [], State(), settings.ambito)
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


@cli.command(help=labels.CLI_COMMANDS["resolve"])
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=labels.CLI_HELP["resolve_out"],
)
def resolve(responses: Path, config: str, out: Path) -> None:
    """Stateless: from a CSV export of the form to one line per response (organisation, outcome, reasons)."""
    from sync.backends.xlsx import read_responses_csv, read_responses_xlsx

    with presenting_errors():
        settings = load_config(config)
        if responses.suffix.lower() == ".xlsx":
            grid = read_responses_xlsx(responses, labels.RESPONSES_TAB)
        else:
            grid = read_responses_csv(responses)
        result = resolve_grid(grid, settings)
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "entity_id", "status", "reasons", "warnings"])
        for o in result.outcomes:
            c = o.checked
            writer.writerow(
                [
                    c.row,
                    o.entity_id,
                    o.status,
                    ";".join(p.code for p in c.blocking),
                    ";".join(p.code for p in c.warnings),
                ]
            )
    os.replace(tmp, out)
    accepted = sum(1 for o in result.outcomes if o.status == "accepted")
    orgs = len({o.entity_id for o in result.outcomes if o.entity_id})
    n = len(result.outcomes)
    click.echo(labels.say("cli_resolve", n=n, accepted=accepted, rejected=n - accepted, orgs=orgs, path=out))


@cli.command(help=labels.CLI_COMMANDS["demo"])
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help=labels.CLI_HELP["demo_dir"],
)
@click.option(
    "--preset", default="crema", show_default=True, type=click.Choice(["crema", "cremonese", "cernusco"])
)
@click.option("--organisations", default=300, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=1, show_default=True)
def demo(folder: Path, preset: str, organisations: int, seed: int) -> None:
    """Make realistic test responses and run a full sync in a local folder."""
    from sync.demo_data import demo_extras, generate, load_vocabulary, to_csv_text, with_form_rows
    from sync.manual import MANUAL_TAB
    from sync.pipeline import sync_now

    refusal = _not_a_demo_folder(folder)
    if refusal:
        click.echo(labels.say("cli_errore", error=refusal), err=True)
        sys.exit(1)
    with presenting_errors():
        folder.mkdir(parents=True, exist_ok=True)
        config_path = folder / "elenco.yaml"
        if not config_path.exists():
            config_path.write_text(labels.say("cli_demo_config", preset=preset), encoding="utf-8")
        settings = load_settings(config_path)
        vocabulary = load_vocabulary()
        data = generate(settings.ambito, organisations, vocabulary=vocabulary, seed=seed)
        extras = demo_extras(settings.ambito, vocabulary=vocabulary, seed=seed)
        data = with_form_rows(data, extras.form_rows)
        answers = folder / "risposte.csv"
        tmp = folder / ".risposte.csv.tmp"
        text = to_csv_text(data)
        tmp.write_text(text, encoding="utf-8")
        # the marker says these responses are the demo's own: a later demo may replace them, nothing else
        (folder / DEMO_MARKER).write_text(_digest(text.encode("utf-8")) + "\n", encoding="utf-8")
        os.replace(tmp, answers)
        click.echo(labels.say("cli_demo_generate", n=len(data.rows), ambito=settings.ambito.name, path=answers))
        if extras.manual_rows and _type_manual_rows(settings, extras.manual_rows):
            click.echo(labels.DEMO_MANUAL_TYPED.format(n=len(extras.manual_rows), tab=MANUAL_TAB))
        result = sync_now(settings, trigger="demo")
    _print_summary(
        result.report.model_dump(),
        settings.backend.folder if isinstance(settings.backend, XlsxBackend) else None,
    )
    click.echo(labels.say("cli_demo_config_path", path=config_path))


def _type_manual_rows(settings: Settings, rows: list[list[str]]) -> bool:
    """The demo acts as staff: type applications into an empty `Domande manuali` (never over staff rows)."""
    import openpyxl

    from sync.backends.xlsx import STAFF_FILE, excel_title
    from sync.layouts import staff_specs
    from sync.manual import MANUAL_TAB

    assert isinstance(settings.backend, XlsxBackend)
    open_backend(settings).ensure("staff", staff_specs(settings.ambito))
    path = settings.backend.folder / STAFF_FILE
    wb = openpyxl.load_workbook(path)
    ws = wb[excel_title(MANUAL_TAB)]
    if any(c.value not in (None, "") for row in ws.iter_rows(min_row=2) for c in row):
        return False
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value or None
    wb.save(path)
    return True


DEMO_MARKER = ".elenco-demo"
# Files of a real deployment that a demo must never replace (responses, staff work, configuration).
_REAL_FILES = ("risposte.csv", "risposte.xlsx", "elenco-interno.xlsx", "elenco-pubblico.xlsx", "elenco.yaml")


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _not_a_demo_folder(folder: Path) -> str:
    """Why `demo` must not write in this folder (its files are not the demo's own), or ""."""
    if not folder.is_dir():
        return ""
    marker = folder / DEMO_MARKER
    recorded = marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""
    answers = folder / "risposte.csv"
    for name in _REAL_FILES:
        path = folder / name
        if not path.exists():
            continue
        never_ours = name == "risposte.xlsx"
        if never_ours or not recorded or (path == answers and _digest(answers.read_bytes()) != recorded):
            return labels.DEMO_REFUSED.format(folder=folder, name=name)
    return ""


def main() -> None:
    """Console entry point."""
    cli(prog_name="elenco")


if __name__ == "__main__":
    main()


def _planned(settings: Settings) -> tuple[Snapshot, SyncPlan, datetime]:
    """Read the staff workbook and plan as a sync would, writing nothing (for the commands that report)."""
    from sync.layouts import staff_specs
    from sync.pipeline import now_local, plan_sync

    backend = open_backend(settings)
    snapshot = backend.read(staff_specs(settings.ambito))
    now = now_local()
    plan = plan_sync(snapshot, settings, now, guarded=backend.guards_public, free_moves=backend.free_row_moves)
    return snapshot, plan, now


def _out_folder(settings: Settings, out: Path | None, default: str, required: str) -> Path:
    """`--out`, or `default` beside the local files; with Google there is no such place: exit 2."""
    if out is not None:
        return out
    if not isinstance(settings.backend, XlsxBackend):
        click.echo(labels.say("cli_errore", error=required), err=True)
        sys.exit(2)
    return settings.backend.folder / default


def _write_files(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write each file through a temporary name in `folder` (a reader never sees half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
        written.append(folder / name)
    return written


@cli.command(help=labels.CLI_COMMANDS["convocazioni"])
@config_option
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=labels.CLI_HELP["convocazioni_out"],
)
def convocazioni(config: str, out: Path | None) -> None:
    """For each meeting in `Calendario`: its .ics event and the expected organisations' addresses."""
    from sync.convocations import addresses, build_convocations

    with presenting_errors():
        settings = load_config(config)
        out = _out_folder(settings, out, labels.CONVOCATION_FOLDER, labels.CONVOCATION_OUT_REQUIRED)
        _, plan, now = _planned(settings)
        problems = plan.calendar_problems
        sets = build_convocations(plan.resolution.organisations, settings.ambito, plan.calendar, now)
    if not sets:
        click.echo(labels.CONVOCATION_NONE)
        for p in problems:
            click.echo(f"  {p.message}")
        return
    files: dict[str, bytes] = {}
    for c in sets:
        files[f"{c.stem}.ics"] = c.ics
        files[f"{c.stem}{labels.CONVOCATION_ADDRESSES}.txt"] = (c.bcc + "\n").encode("utf-8")
        files[f"{c.stem}{labels.CONVOCATION_ADDRESSES}.csv"] = c.csv_bytes()
    _write_files(out, files)
    click.echo(labels.CONVOCATION_WRITTEN.format(folder=out))
    for c in sets:
        n = len(addresses(c.invitees))
        click.echo(
            labels.CONVOCATION_LINE.format(stem=c.stem, n=labels.orgs_count(len(c.invitees)), addresses=n)
        )
        unreachable = sum(1 for i in c.invitees if not i.email and not i.pec)
        if unreachable:
            click.echo(labels.CONVOCATION_NO_ADDRESS.format(n=labels.orgs_count(unreachable), stem=c.stem))
        for note in c.notes:
            click.echo(f"  {note}")
    for p in problems:
        click.echo(f"  {p.message}")


@cli.command(help=labels.CLI_COMMANDS["statistiche"])
@config_option
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=labels.CLI_HELP["statistiche_out"],
)
def statistiche(config: str, out: Path | None) -> None:
    """The monitoring report for the Piano di Zona: an HTML page of tables and charts, no personal data."""
    from sync.statistics import report_html

    with presenting_errors():
        settings = load_config(config)
        out = _out_folder(settings, out, labels.REPORT_FOLDER, labels.REPORT_OUT_REQUIRED)
        snapshot, plan, now = _planned(settings)
        problems = plan.calendar_problems
        page = report_html(
            plan.resolution.organisations,
            plan.resolution.outcomes,
            settings.ambito,
            plan.calendar,
            snapshot.tabs,
            now.date(),
        )
    [path] = _write_files(out, {labels.REPORT_FILE: page.encode("utf-8")})
    click.echo(labels.REPORT_WRITTEN.format(path=path))
    for p in problems:
        click.echo(f"  {p.message}")
