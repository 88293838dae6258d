"""Monitoring for the Piano di Zona: the `Statistiche` tab and the HTML report of `elenco statistiche`.  Pure.

The only module that imports pandas (and, for the report's charts, matplotlib): the pipeline imports it when
it plans a sync, never at import time, so the webhook's verdict path stays light.

What is counted, from the same values the other tabs show:
- organisations per area (as in the area tabs), per area and category (`Tipologia`), per comune and per legal form (listed organisations);
- accepted applications per week (weeks from Monday) and on time / late against the avviso's deadline;
- attendance per meeting: organisations marked present in the meeting's roster column / organisations
  expected (listed, of the area or all for a plenary, of the meeting's phase); a meeting is *held* once its
  column has any mark. Per organisation: held meetings it was marked present at / held meetings it was
  expected at (or marked present at).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from sync import labels
from sync.calendar import CalendarEntry, expected_at
from sync.config import Ambito
from sync.layouts import area_name, roster_title
from sync.model import Grid, Organisation, RowOutcome
from sync.render import fmt_date
from sync.text import fold, name_sort_key
from sync.tipologia import label as tipologia_label

Row = list[str]


def _category(o: Organisation) -> str:
    """The organisation's category (`Tipologia`) as people read it, from its current response."""
    return tipologia_label(o.current.tipologia) if o.rows else ""


@dataclass
class Frames:
    """The tables every statistic is computed from."""

    orgs: pd.DataFrame  # one row per listed organisation and area: id, name, area, comune, form, category
    applications: pd.DataFrame  # one row per accepted response: submitted_at, late
    attendance: pd.DataFrame  # one row per meeting and organisation expected or marked: meeting, id, ...
    meetings: list[tuple[str, str, str]]  # (key, area name, label) in calendar order


def build_frames(
    orgs: Sequence[Organisation],
    outcomes: Sequence[RowOutcome],
    ambito: Ambito,
    meetings: Sequence[CalendarEntry],
    tabs: Mapping[str, Grid],
) -> Frames:
    """Organisations, applications and roster marks as pandas tables."""
    listed = [o for o in orgs if o.listed]
    org_rows = [
        {
            "id": o.id,
            "name": o.current.response.name,
            "area": ambito.area(a).tab,
            "area_order": [x.code for x in ambito.areas].index(a),
            "comune": o.current.comune_name or o.current.response.comune.strip() or labels.STATS_NO_COMUNE,
            "form": o.current.response.legal_form.strip() or labels.STATS_NO_FORM,
            "category": _category(o),
        }
        for o in listed
        for a in o.areas
    ]
    org_df = pd.DataFrame(
        org_rows, columns=["id", "name", "area", "area_order", "comune", "form", "category"]
    )
    app_rows = [
        {"submitted_at": out.checked.response.submitted_at, "late": out.checked.late}
        for out in outcomes
        if out.status == "accepted" and out.checked.response.submitted_at is not None
    ]
    app_df = pd.DataFrame(app_rows, columns=["submitted_at", "late"])
    names = {o.id: o.current.response.name for o in orgs}
    marks = {fold(m) for m in labels.PRESENT_MARKS}
    att_rows = []
    seen: list[tuple[str, str, str]] = []
    order = {a.code: i for i, a in enumerate(ambito.areas)}
    # by day and time; a plenary first, then the areas in the preset's order
    for m in sorted(meetings, key=lambda m: (m.day, m.time, order.get(m.area, -1))):
        title = roster_title(ambito, m.area)
        key = f"{title}\x1f{m.label}"
        if any(k == key for k, _, _ in seen):
            continue  # two calendar rows for one roster column: one meeting
        seen.append((key, area_name(ambito, m.area), m.label))
        grid = tabs.get(title, [])
        col = grid[0].index(m.label) if grid and m.label in grid[0] else -1
        cells: dict[str, str] = {}
        for row in grid[1:]:
            if row and row[0].strip() and row[0].strip() not in cells:
                cells[row[0].strip()] = (row[col] if 0 <= col < len(row) else "").strip()
        held = any(cells.values())
        expected = {o.id for o in orgs if expected_at(o, m)}
        present = {i for i, v in cells.items() if fold(v) in marks}
        for i in sorted(expected | present):
            att_rows.append(
                {
                    "meeting": key,
                    "id": i,
                    "name": names.get(i, i),
                    "expected": i in expected,
                    "present": i in present,
                    "held": held,
                }
            )
    att_df = pd.DataFrame(att_rows, columns=["meeting", "id", "name", "expected", "present", "held"])
    return Frames(org_df, app_df, att_df, seen)


def _pct(n: int, of: int) -> str:
    return str(round(100 * n / of)) if of else ""


def _week(day: datetime) -> date:
    return (day - timedelta(days=day.weekday())).date()


def tables(fr: Frames, ambito: Ambito) -> dict[str, list[tuple[str, str, int, int | None]]]:
    """Each statistic as (voce, dettaglio, numero, su) rows, by table title."""
    out: dict[str, list[tuple[str, str, int, int | None]]] = {}
    orgs = fr.orgs
    total = int(orgs["id"].nunique())
    per_area = orgs.groupby("area").size()
    # every area of the avviso, in the preset's order, even one nobody chose yet
    out[labels.STATS_PER_AREA] = [
        *((a.tab, "", int(per_area.get(a.tab, 0)), total) for a in ambito.areas),
        (labels.STATS_TOTAL, "", total, None),
    ]
    if len(orgs) and (orgs["category"] != "").any():
        by_cat = orgs.groupby(["area_order", "area", "category"]).size()
        out[labels.STATS_PER_AREA_CATEGORY] = [
            (str(area), str(cat), int(n), int(per_area[area])) for (_, area, cat), n in by_cat.items()
        ]
    unique = orgs.drop_duplicates("id")
    for title, column in ((labels.STATS_PER_COMUNE, "comune"), (labels.STATS_PER_FORM, "form")):
        counts = unique.groupby(column).size()
        ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), name_sort_key(str(kv[0]))))
        out[title] = [(str(k), "", int(n), total) for k, n in ordered]
    apps = fr.applications
    weeks: list[tuple[str, str, int, int | None]] = []
    if len(apps):
        apps = apps.assign(week=[_week(d) for d in apps["submitted_at"]])
        grouped = apps.groupby(["week", "late"]).size()
        for (week, late), n in grouped.items():
            when = labels.STATS_LATE if late else labels.STATS_ON_TIME
            weeks.append((labels.STATS_WEEK.format(day=fmt_date(week)), when, int(n), None))
    out[labels.STATS_PER_WEEK] = weeks
    n_apps = len(apps)
    late = int(apps["late"].sum()) if n_apps else 0
    deadline = f"{labels.STATS_ON_TIME} ({fmt_date(ambito.deadline)})"
    out[labels.STATS_TIMELINESS] = [
        (deadline, "", n_apps - late, n_apps),
        (labels.STATS_LATE, "", late, n_apps),
    ]
    att = fr.attendance
    per_meeting: list[tuple[str, str, int, int | None]] = []
    for key, area, label in fr.meetings:
        rows = att[att["meeting"] == key]
        per_meeting.append((label, area, int(rows["present"].sum()), int(rows["expected"].sum())))
    out[labels.STATS_PER_MEETING] = per_meeting
    held = att[att["held"]]
    per_org: list[tuple[str, str, int, int | None]] = []
    if len(held):
        grouped_org = held.groupby(["id", "name"]).agg(attended=("present", "sum"), held=("meeting", "count"))
        ordered_org = sorted(grouped_org.itertuples(), key=lambda r: name_sort_key(str(r.Index[1])))
        per_org = [(str(r.Index[1]), str(r.Index[0]), int(r.attended), int(r.held)) for r in ordered_org]
    out[labels.STATS_PER_ORG] = per_org
    return out


def render_statistics(
    orgs: Sequence[Organisation],
    outcomes: Sequence[RowOutcome],
    ambito: Ambito,
    meetings: Sequence[CalendarEntry],
    tabs: Mapping[str, Grid],
) -> list[list[str | None]]:
    """The `Statistiche` tab: one row per figure, the table's title in the first column (filterable)."""
    rows: list[list[str | None]] = [list(labels.STATS_HEADER)]
    for title, lines in tables(build_frames(orgs, outcomes, ambito, meetings, tabs), ambito).items():
        for voce, detail, n, of in lines:
            rows.append([title, voce, detail, str(n), "" if of is None else str(of), _pct(n, of or 0)])
    return rows


# The HTML report -------------------------------------------------------------------------------------------

_CHARTED = (
    labels.STATS_PER_AREA,
    labels.STATS_PER_COMUNE,
    labels.STATS_PER_WEEK,
    labels.STATS_PER_MEETING,
)
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.25rem .5rem;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%;height:auto}
"""


def _chart(title: str, lines: Sequence[tuple[str, str, int, int | None]]) -> str:
    """A horizontal bar chart as an embedded PNG; its alt text gives every number."""
    from matplotlib.figure import Figure  # no pyplot: no global state, the Agg canvas only

    if title == labels.STATS_PER_WEEK:
        labels_ = [f"{v} ({d})" for v, d, _, _ in lines]
    elif title == labels.STATS_PER_MEETING:
        labels_ = [f"{v} {d}" for v, d, _, _ in lines]
    else:
        labels_ = [v for v, _, _, _ in lines if v != labels.STATS_TOTAL]
    values = [n for v, _, n, _ in lines if v != labels.STATS_TOTAL]
    fig = Figure(figsize=(8, 0.4 * len(values) + 1.2), dpi=96)
    ax = fig.add_subplot()
    # late applications in another colour (the label says it too, for who cannot tell the colours apart)
    colours = [
        "#b35900" if d == labels.STATS_LATE else "#1f5f99" for v, d, _, _ in lines if v != labels.STATS_TOTAL
    ]
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(values)), labels_)
    ax.invert_yaxis()
    ax.set_title(title)
    for i, v in enumerate(values):
        ax.annotate(str(v), (v, i), xytext=(3, 0), textcoords="offset points", va="center")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    alt = labels.REPORT_CHART_ALT.format(
        title=title, values="; ".join(f"{lab} {v}" for lab, v in zip(labels_, values, strict=True))
    )
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def report_html(
    orgs: Sequence[Organisation],
    outcomes: Sequence[RowOutcome],
    ambito: Ambito,
    meetings: Sequence[CalendarEntry],
    tabs: Mapping[str, Grid],
    today: date,
) -> str:
    """A self-contained Italian HTML page: every table, charts embedded; no names of people, no contacts."""
    fr = build_frames(orgs, outcomes, ambito, meetings, tabs)
    all_tables = tables(fr, ambito)
    total = int(fr.orgs["id"].nunique())
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="it"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(labels.REPORT_TITLE)} - {e(ambito.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(labels.REPORT_TITLE)}</h1>",
        "<p>"
        + e(
            labels.REPORT_INTRO.format(
                ambito=ambito.name,
                notice=ambito.notice,
                day=fmt_date(today),
                orgs=labels.orgs_count(total),
                meetings=labels.meetings_count(len(fr.meetings)),
            )
        )
        + "</p>",
    ]
    for title, lines in all_tables.items():
        parts.append(f"<section><h2>{e(title)}</h2>")
        if not lines:
            parts.append(f"<p>{e(labels.REPORT_NO_DATA)}</p></section>")
            continue
        if title in _CHARTED:
            parts.append(f"<figure>{_chart(title, lines)}</figure>")
        parts.append(
            "<table><thead><tr>" + "".join(f'<th scope="col">{e(h)}</th>' for h in labels.REPORT_COLUMNS)
        )
        parts.append("</tr></thead><tbody>")
        for voce, detail, n, of in lines:
            su = "" if of is None else str(of)
            parts.append(
                f"<tr><td>{e(voce)}</td><td>{e(detail)}</td><td class=n>{n}</td><td class=n>{su}</td>"
                f"<td class=n>{_pct(n, of or 0)}</td></tr>"
            )
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
