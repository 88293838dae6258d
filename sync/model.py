"""Values that flow through the pipeline.

Hot-path values (one per response row) are frozen slotted dataclasses: they are built by the core from
already-parsed text, so they need no validation, and 27,000 of them must be cheap. Configuration and the
sync report, which cross a trust boundary, are pydantic models (`sync.config`, `Report` below).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

Grid = list[list[str]]


class Severity(StrEnum):
    """Whether a problem keeps a row out of every list until staff decide."""

    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """A data problem of one response row (or of a staff decision): a value, never an exception."""

    row: int
    field: str
    code: str
    value: str
    severity: Severity
    message: str
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    """One form response row as parsed: text stays text (leading zeros kept)."""

    row: int
    submitted_at: datetime | None
    submitted_raw: str
    email: str = ""
    name: str = ""
    tax_code: str = ""
    legal_form: str = ""
    runts: str = ""
    comune: str = ""
    address: str = ""
    contact_name: str = ""
    phone: str = ""
    pec: str = ""
    areas_raw: str = ""
    areas: tuple[str, ...] = ()
    unknown_areas: tuple[str, ...] = ()
    phases_raw: str = ""
    phases: tuple[str, ...] = ()
    experience: str = ""
    consent: str = ""
    fingerprint: str = ""
    channel: str = ""  # a manual application (`Domande manuali`): PEC, carta or e-mail, as typed
    protocol: str = ""  # its protocol number, as typed

    @property
    def manual(self) -> bool:
        """Typed by staff in `Domande manuali`, not sent through the form."""
        return is_manual(self.row)

    @property
    def code(self) -> str:
        """The response's own code for people (`R-3F9A0C12D4`): from its fingerprint, never from its row."""
        return response_code(self.fingerprint)


# Rows of `Domande manuali` are numbered from here inside the core, so that a row number alone says which tab
# it is in (a form sheet has far fewer rows: Google allows ten million cells in a whole spreadsheet).
MANUAL_BASE = 10_000_000
MANUAL_PREFIX = "m"  # the fingerprint of a manual application starts with it (never a hex digit)


def is_manual(row: int) -> bool:
    """A core row number that stands for a row of `Domande manuali`."""
    return row >= MANUAL_BASE


def sheet_row(row: int) -> int:
    """The row number people see in its own tab."""
    return row - MANUAL_BASE if is_manual(row) else row


def response_code(fingerprint: str) -> str:
    """`R-` (form) or `M-` (`Domande manuali`) and ten hex digits of a fingerprint (a duplicate keeps `-2`)."""
    if not fingerprint:
        return ""
    digest, _, nth = fingerprint.partition("-")
    letter = "R"
    if digest.startswith(MANUAL_PREFIX):
        letter, digest = "M", digest[len(MANUAL_PREFIX) :]
    return f"{letter}-{digest[:10].upper()}" + (f"-{nth}" if nth else "")


@dataclass(frozen=True, slots=True)
class Checked:
    """A response with its problems and its normalised identifiers."""

    response: Response
    problems: tuple[Problem, ...]
    tax_code: str = ""  # normalised valid codice fiscale / partita IVA, else ""
    tax_code_kind: str = ""  # "ente" (11 digits) | "persona" (16 chars) | ""
    email: str = ""
    pec: str = ""
    phone: str = ""
    comune_istat: str = ""
    comune_name: str = ""
    province: str = ""
    in_ambito: bool = False
    late: bool = False
    accepted_by_staff: bool = False
    discarded_by_staff: bool = False
    tipologia: str = ""  # ets | privato | pubblico (`sync.tipologia`)

    @property
    def row(self) -> int:
        """The sheet row of the response."""
        return self.response.row

    @property
    def blocking(self) -> tuple[Problem, ...]:
        """Problems that keep the row out of the lists."""
        return tuple(p for p in self.problems if p.severity is Severity.BLOCKING)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems that do not keep the row out."""
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def accepted(self) -> bool:
        """Accepted: no blocking problem (or staff accepted it) and not discarded by staff."""
        if self.discarded_by_staff:
            return False
        return self.accepted_by_staff or not self.blocking


class Status(StrEnum):
    """An organisation's status, set by staff decisions."""

    ACTIVE = "attivo"
    SUSPENDED = "sospeso"
    EXCLUDED = "escluso"
    WITHDRAWN = "ritirato"
    MERGED = "unito"
    EMPTY = "senza risposte valide"


@dataclass(frozen=True, slots=True)
class Decision:
    """One row of the staff-owned `Decisioni` tab."""

    sheet_row: int
    target: str
    verb: str
    value: str = ""
    reason: str = ""
    operator: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class Organisation:
    """One organisation: its stable ID, current data (latest accepted response) and history."""

    id: str
    rows: tuple[int, ...]  # accepted response rows, oldest first
    current: Checked
    first_at: datetime | None
    last_at: datetime | None
    areas: tuple[str, ...]
    phases: tuple[str, ...]
    late: bool  # every accepted response came after the deadline
    status: Status = Status.ACTIVE
    status_note: str = ""
    merged_into: str = ""
    evidence: tuple[str, ...] = ()

    @property
    def listed(self) -> bool:
        """Shown in the per-area lists and the public register."""
        return self.status is Status.ACTIVE


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """Two organisations that may be the same: staff confirm with `Unisci` or `Separa`."""

    a: str
    b: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What happened to one response row: accounted for in `Risposte`."""

    checked: Checked
    entity_id: str
    status: str  # accepted | rejected
    note: str = ""


class Report(BaseModel):
    """The sync report (JSON): figures only, no personal data."""

    model_config = ConfigDict(extra="forbid")

    started_at: str
    duration_s: float
    trigger: str = "manuale"
    responses: int = 0
    accepted: int = 0
    rejected: int = 0
    organisations: int = 0
    per_area: dict[str, int] = {}
    review_pairs: int = 0
    anomalies: int = 0
    # how many problems of each code (codes of `sync.labels`), for scripts: staff read the labels
    problem_codes: dict[str, int] = {}
    cells_written: int = 0
    api_requests: int = 0
    tabs_changed: dict[str, int] = {}
    dry_run: bool = False
    outcome: str = "ok"
    message: str = ""
