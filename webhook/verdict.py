"""A form submission (JSON from the Apps Script bridge) → the verdict, with the SAME core as the sync.

The answers become the two-row grid the sync would read (header = question titles, row = answers, list
answers joined by `LIST_SEPARATOR` so checkboxes are matched item by item), then `parse_rows` and `check`.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sync import labels as sync_labels
from sync.comuni import index_for
from sync.config import Ambito, normalise_title
from sync.labels import QUESTION_LABELS
from sync.model import Checked, Problem, Response, Severity
from sync.parse import LIST_SEPARATOR, ColumnMap, clean_text, parse_rows
from sync.validate import check
from webhook import labels

ROME = ZoneInfo("Europe/Rome")
# List answers are joined with LIST_SEPARATOR so that checkboxes are matched item by item — as long as the
# core's cell cleaning keeps it; otherwise with ", ", exactly as Google writes them in the response sheet
# (the core then splits them against the known labels, longest first, as in a sync).
LIST_JOIN = LIST_SEPARATOR if LIST_SEPARATOR in clean_text(f"a{LIST_SEPARATOR}b") else ", "
MAX_ANSWERS = 500
LATE_CODES = frozenset({"oltre_scadenza"})
MAX_ID = 200
MAX_HEADERS = 64  # distinct form headers whose column map a `Judge` keeps
WARM_NAME, WARM_COMUNE = "Associazione Esempio APS", "Roma"  # what `Judge` checks once at start


class SubmissionError(ValueError):
    """The JSON body does not have the documented shape; the message is an Italian detail."""


@dataclass(frozen=True)
class Submission:
    """One form submission as posted by the Apps Script trigger."""

    response_id: str
    submitted_at: datetime  # naive local time in Italy, as the form's own timestamp column
    answers: dict[str, str]  # question title -> text (list answers joined with LIST_JOIN)
    respondent_email: str = ""


@dataclass(frozen=True)
class Verdict:
    """What the webhook answers at once about one submission."""

    checked: Checked
    fields: dict[str, str]  # field -> question title as on the form, for messages

    @property
    def accepted(self) -> bool:
        """No blocking problem."""
        return self.checked.accepted

    @property
    def status(self) -> str:
        """`accepted` or `rejected`."""
        return "accepted" if self.accepted else "rejected"

    @property
    def codes(self) -> list[str]:
        """The problem codes, for logs (no personal data)."""
        return [p.code for p in self.checked.problems]


def parse_submission(data: Any) -> Submission:
    """Check the JSON body's shape and types; raise SubmissionError with an Italian detail."""
    if not isinstance(data, dict):
        raise SubmissionError(labels.DETAILS["not_object"])
    response_id = data.get("response_id")
    if not isinstance(response_id, str) or not response_id.strip() or len(response_id) > MAX_ID:
        raise SubmissionError(labels.DETAILS["response_id"])
    submitted = data.get("submitted_at")
    if not isinstance(submitted, str):
        raise SubmissionError(labels.DETAILS["submitted_at"])
    try:
        when = datetime.fromisoformat(submitted.strip())
    except ValueError:
        raise SubmissionError(labels.DETAILS["submitted_at"]) from None
    # the form's own timestamp column is naive Italian time; Apps Script sends UTC (`toISOString()`)
    if when.tzinfo is not None:
        try:
            when = when.astimezone(ROME).replace(tzinfo=None)
        except OverflowError:  # "0001-01-01T00:00:00+14:00" has no local time
            raise SubmissionError(labels.DETAILS["submitted_at"]) from None
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise SubmissionError(labels.DETAILS["answers"])
    if len(answers) > MAX_ANSWERS:
        raise SubmissionError(labels.DETAILS["too_many"])
    texts: dict[str, str] = {}
    for title, value in answers.items():
        if isinstance(value, str):
            texts[title] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            texts[title] = LIST_JOIN.join(value)
        else:
            raise SubmissionError(labels.DETAILS["answers"])
    email = data.get("respondent_email")
    if email is None:
        email = ""
    if not isinstance(email, str):
        raise SubmissionError(labels.DETAILS["respondent_email"])
    # one text made of them all: it holds a lone surrogate exactly when one of them does
    if not _encodable("".join((response_id, email, *texts, *texts.values()))):
        raise SubmissionError(labels.DETAILS["not_text"])
    return Submission(response_id.strip(), when.replace(microsecond=0), texts, email.strip())


def _encodable(text: str) -> bool:
    """Whether a text can be stored and logged: JSON may carry a lone surrogate ("\\ud800"), UTF-8 cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def form_timestamp(when: datetime) -> str:
    """The text Google writes in an Italian-locale response sheet: `03/04/2024 11.09.13`."""
    return when.strftime("%d/%m/%Y %H.%M.%S")


def _added_columns(submission: Submission, ambito: Ambito) -> tuple[bool, bool]:
    """Whether the sheet has an email column and a timestamp column that are not questions of the form."""
    titles = {normalise_title(t) for t in submission.answers}

    def has(field: str) -> bool:
        return any(normalise_title(a) in titles for a in getattr(ambito.questions, field))

    # collected emails and the timestamp are columns of the sheet, not questions of the form
    return bool(submission.respondent_email) and not has("email"), not has("timestamp")


def _grid(submission: Submission, ambito: Ambito, added: tuple[bool, bool]) -> list[list[str]]:
    header = list(submission.answers)
    add_email, add_timestamp = added
    if add_email:
        header.insert(0, ambito.questions.email[0])
    if add_timestamp:
        header.insert(0, ambito.questions.timestamp[0])
    return [header, _row(submission, added)]


def _row(submission: Submission, added: tuple[bool, bool]) -> list[str]:
    """The answers as the sheet's row, behind the added email and timestamp columns (`_grid`'s order)."""
    add_email, add_timestamp = added
    first = [form_timestamp(submission.submitted_at)] if add_timestamp else []
    if add_email:
        first.append(submission.respondent_email)
    return [*first, *submission.answers.values()]


def build_grid(submission: Submission, ambito: Ambito) -> list[list[str]]:
    """The header and the one row the response sheet would hold for this submission."""
    return _grid(submission, ambito, _added_columns(submission, ambito))


def judge(submission: Submission, ambito: Ambito) -> Verdict:
    """Validate the answers exactly as the sync will; a missing required question raises ConfigError.

    From scratch, as a sync reads a sheet; the web app uses a `Judge`, which gives the same verdict faster.
    """
    grid = build_grid(submission, ambito)
    parsed = parse_rows(grid, ambito)
    header = grid[0]
    # the timestamp column is always present, so the row is never blank and always parses to one response
    return _verdict(check(parsed.responses[0], ambito), header, parsed.columns)


def _verdict(checked: Checked, header: list[str], columns: ColumnMap) -> Verdict:
    return _filtered(checked, _fields(header, columns))


def _fields(header: list[str], columns: ColumnMap) -> dict[str, str]:
    return {f: header[cols[0]] for f, cols in columns.columns.items()}


def _filtered(checked: Checked, fields: dict[str, str]) -> Verdict:
    # the office's set-up problems (an area answer the configuration does not know) go to staff in
    # `Anomalie` with the sync; the applicant is neither told nor mailed about them
    if any(p.code in sync_labels.STAFF_ONLY_CODES for p in checked.problems):
        own = tuple(p for p in checked.problems if p.code not in sync_labels.STAFF_ONLY_CODES)
        checked = replace(checked, problems=own)
    return Verdict(checked, fields)


@dataclass(frozen=True)
class _Shape:
    """What every submission with one set of question titles shares: its sheet header and column map."""

    header: list[str]
    columns: ColumnMap
    fields: dict[str, str]
    added: tuple[bool, bool]  # `_added_columns`: the collected email and the timestamp become columns


class Judge:
    """`judge` for one Ambito, with what its settings derive built once, not per submission.

    The comuni index of the Ambito, and the shape of each form header: every submission of one form has the
    same questions, so the header `build_grid` makes and its column map (`parse_rows` of the header alone,
    the same mapping the sync makes) are built on its first submission. The verdict is `judge`'s, to the
    letter (tested).
    """

    def __init__(self, ambito: Ambito) -> None:
        self.ambito = ambito
        self._comuni = index_for(ambito)
        self._shapes: dict[tuple[bool, tuple[str, ...]], _Shape] = {}
        # The core loads its reference data on first use (the national list of comuni, the table of names):
        # load it now, when the app starts, not while the first applicant of each worker waits (tenths of a
        # second). A comune outside every Ambito reaches the national list; the result is thrown away.
        check(Response(row=2, submitted_at=None, submitted_raw="", name=WARM_NAME, comune=WARM_COMUNE),
              ambito, self._comuni)

    def _shape_of(self, submission: Submission) -> _Shape:
        key = (bool(submission.respondent_email), tuple(submission.answers))
        found = self._shapes.get(key)
        if found is None:
            added = _added_columns(submission, self.ambito)
            header = _grid(submission, self.ambito, added)[0]
            # a missing required question raises ConfigError here, every time: failures are not kept
            columns = parse_rows([header], self.ambito).columns
            found = _Shape(header, columns, _fields(header, columns), added)
            if len(self._shapes) >= MAX_HEADERS:  # only signed requests get here; bounded all the same
                self._shapes.clear()
            self._shapes[key] = found
        return found

    def __call__(self, submission: Submission) -> Verdict:
        """The verdict on one submission."""
        shape = self._shape_of(submission)
        grid = [shape.header, _row(submission, shape.added)]
        parsed = parse_rows(grid, self.ambito)  # the header's plan is `parse_rows`' own, kept
        return _filtered(check(parsed.responses[0], self.ambito, self._comuni), shape.fields)


def _problem_json(p: Problem, fields: dict[str, str]) -> dict[str, str]:
    return {
        "codice": p.code,
        "campo": fields.get(p.field) or QUESTION_LABELS.get(p.field, p.field),
        "messaggio": p.message,
        "gravita": labels.SEVERITY[p.severity.value],
        "suggerimento": p.suggestion,
    }


def _when(submission: Submission) -> str:
    return submission.submitted_at.strftime(labels.EMAIL_WHEN)


def email_text(verdict: Verdict, submission: Submission, ambito: Ambito) -> tuple[str, str]:
    """The subject and body of the email to the applicant ("", "" when there is nothing to say)."""
    problems = verdict.checked.problems
    if not problems:
        return "", ""
    blocking = [p for p in problems if p.severity is Severity.BLOCKING]
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    name = verdict.checked.response.name
    lines = [
        labels.EMAIL_GREETING,
        "",
        labels.EMAIL_RECEIVED.format(notice=ambito.notice, when=_when(submission),
                                     name=labels.EMAIL_FOR_NAME.format(name=name) if name else ""),
        "",
    ]

    def items(ps: list[Problem]) -> list[str]:
        out = []
        for p in ps:
            hint = f" ({p.suggestion})" if p.suggestion else ""
            out.append(f"- {p.message}{hint}")
        return out

    if blocking:
        lines += [labels.EMAIL_REJECTED, *items(blocking), ""]
        if warnings:
            lines += [labels.EMAIL_WARNINGS_TOO, *items(warnings), ""]
    else:
        lines += [labels.EMAIL_ACCEPTED, *items(warnings), ""]
    # a late answer cannot be made timely by sending it again: say what it is worth, not "correct it"
    fixable = [p for p in problems if p.code not in LATE_CODES]
    if any(p.code in LATE_CODES for p in problems) and not blocking:
        lines += [labels.EMAIL_LATE]
    if fixable:
        lines += [labels.EMAIL_FIX]
    # the reply goes to the Ufficio only when the script can set it as «rispondi a»
    lines += [labels.EMAIL_CONTACT_REPLY if ambito.office.email else labels.EMAIL_CONTACT_OFFICE]
    lines += ["", labels.EMAIL_SIGN_OFF, ambito.office.name]
    lines += [x for x in (ambito.office.email, ambito.office.phone) if x]
    lines += ["", labels.EMAIL_AUTOMATIC]
    subject = labels.EMAIL_SUBJECT[verdict.status].format(ambito=ambito.name)
    return subject, "\n".join(lines)


def verdict_json(verdict: Verdict, submission: Submission, ambito: Ambito) -> dict[str, Any]:
    """The JSON answer of POST /hooks/form."""
    checked = verdict.checked
    subject, body = email_text(verdict, submission, ambito)
    # the applicant can be written to only at a valid address; `check` normalises it
    recipient = checked.email
    return {
        "esito": labels.OUTCOME[verdict.status],
        "status": verdict.status,
        "response_id": submission.response_id,
        "problemi": [_problem_json(p, verdict.fields) for p in checked.problems],
        "email_richiedente": bool(ambito.email_applicants and checked.problems and recipient),
        "destinatario": recipient,
        "oggetto_email": subject,
        "testo_email": body,
        # the script sends the mail as the Ufficio: its name, and replies go to its address
        "mittente": ambito.office.name,
        "rispondi_a": ambito.office.email,
    }
