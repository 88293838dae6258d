"""The `Istruzioni` tab of the staff workbook: what each tab is, who writes it, what staff may do there,
and one worked example per decision verb.  Pure; the words are in `sync.labels`."""

from __future__ import annotations

from sync import labels
from sync.config import Ambito
from sync.model import Grid

ISTRUZIONI = "Istruzioni"


def example_text(verb: str) -> str:
    """«ID ente o riga: E-0002 · Decisione: Escludi · Motivazione: requisiti non posseduti»."""
    (target, value, reason), _ = labels.VERB_EXAMPLES[verb]
    return labels.INSTRUCTIONS_EXAMPLE.format(
        target=target,
        verb=verb,
        value=labels.INSTRUCTIONS_EXAMPLE_VALUE.format(value=value) if value else "",
        reason=labels.INSTRUCTIONS_EXAMPLE_REASON.format(reason=reason) if reason else "",
    )


def render_instructions(ambito: Ambito) -> Grid:
    """The rows of `Istruzioni`: the tabs, then the decision verbs in the order the menu offers them."""
    areas = ", ".join(a.tab for a in ambito.areas)
    rows: Grid = [list(labels.INSTRUCTIONS_HEADER)]
    for title, who, what in labels.INSTRUCTIONS_TABS:
        rows.append([title.format(areas=areas), who, what, ""])
    for verb in labels.VERBS:
        rows.append(
            [
                labels.INSTRUCTIONS_VERB.format(verb=verb),
                labels.INSTRUCTIONS_STAFF,
                labels.VERB_EXAMPLES[verb][1],
                example_text(verb),
            ]
        )
    return rows
