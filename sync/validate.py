"""Response → problems: tax codes (python-stdnum), email (email-validator), comuni, consent, areas.  Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.it import codicefiscale, iva

from sync import labels
from sync.comuni import ComuneMatch, ComuniIndex, index_for
from sync.config import Ambito
from sync.model import Checked, Problem, Response, Severity
from sync.text import fold_alnum
from sync.tipologia import classify

_NEGATION = re.compile(r"^\s*(non\b|no\b|nego\b)", re.IGNORECASE)
_NO_COMUNE = ComuneMatch()
_CODE_SEPARATORS = re.compile(r"[\s.\-_/]")  # what people type inside a tax code
_NOT_DIGIT = re.compile(r"\D")


def message(code: str, **params: str) -> str:
    """The Italian message of a problem code, with its parameters filled in."""
    return labels.MESSAGES[code].format(**params).strip()


@lru_cache(maxsize=65_536)  # a row's code is read three times: for zeros lost, checked, matched
def normalise_tax_code(value: str) -> str:
    """Reduce a typed tax code: spaces, dots, dashes, a label ("C.F.", "P.IVA") and `IT` are tolerated."""
    text = strip_tax_code_label(value)
    text = _CODE_SEPARATORS.sub("", text).upper()
    if text.startswith("IT") and len(text) == 13 and text[2:].isdigit():
        text = text[2:]
    return text


def _label_pattern() -> re.Pattern[str]:
    # longest first, each label word followed by optional dots: "c.f.", "p. iva", "cod.fisc."
    labels_ = sorted(labels.TAX_CODE_LABELS, key=len, reverse=True)
    spelled = (r"[\s.]*".join(re.escape(w) + r"\.?" for w in label.split()) for label in labels_)
    return re.compile(r"^\s*(?:(?:" + "|".join(spelled) + r")[\s.:°º=\-]*)+(?=[0-9a-z])", re.IGNORECASE)


_LABEL = _label_pattern()


def strip_tax_code_label(value: str) -> str:
    """The typed tax code without a leading label such as «C.F.», «CF:», «P.IVA» (the rest as typed)."""
    stripped = _LABEL.sub("", value, count=1)
    # a label must leave a code: "CF" followed by 11 digits, not a personal code starting with letters
    rest = _CODE_SEPARATORS.sub("", stripped)
    return stripped if stripped != value and rest[:1].isdigit() else value


@lru_cache(maxsize=65_536)
def check_tax_code(value: str) -> tuple[str, str, str]:
    """Validate a codice fiscale or partita IVA → (normalised, kind, error detail)."""
    code = normalise_tax_code(value)
    if len(code) == 11 and code.isdigit() and code.isascii():
        detail = _partita_iva_fault(code)
        return code, "" if detail else "ente", labels.CF_DETAILS[detail] if detail else ""
    try:
        if len(code) == 11 and code.isdigit():
            # an organisation's codice fiscale has the partita IVA's shape and checksum
            return iva.validate(code), "ente", ""
        if len(code) == 16:
            return codicefiscale.validate(code), "persona", ""
        raise InvalidLength()
    except InvalidChecksum:
        return code, "", labels.CF_DETAILS["checksum"]
    except InvalidLength:
        return code, "", labels.CF_DETAILS["length"]
    except InvalidComponent:
        return code, "", labels.CF_DETAILS["component"]
    except (InvalidFormat, ValidationError):
        return code, "", labels.CF_DETAILS["format"]


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a Luhn digit doubled, its two digits summed
_SPECIAL_OFFICES = frozenset(("120", "121", "888", "999"))


def _partita_iva_fault(code: str) -> str:
    """What python-stdnum's `it.iva.validate` finds wrong with eleven ASCII digits, as a `CF_DETAILS` key
    ("" when valid): its checks in its order, without its cleaning and exceptions (once per distinct code
    on every row: the same verdicts, tested against the library)."""
    if code[:7] == "0000000":
        return "format"
    office = code[7:10]
    if not ("001" <= office <= "100" or office in _SPECIAL_OFFICES):
        return "component"
    digits = [ord(c) - 48 for c in code]
    total = sum(digits[10::-2]) + sum(_DOUBLED[d] for d in digits[9::-2])
    return "" if total % 10 == 0 else "checksum"


def restore_zeros(code: str) -> str:
    """An 11-digit code a spreadsheet read as a number (`2108830171`), with its zeros back if then valid."""
    if not code.isdigit() or not 7 <= len(code) < 11:
        return ""
    padded = code.zfill(11)
    # the check digit decides: a short code that is not a valid one once padded is a typo, not damage
    return padded if iva.is_valid(padded) else ""


def zeros_lost(typed_codes: Iterable[str]) -> bool:
    """Whether a file's tax codes show a spreadsheet's damage: zeros are restored only then.

    A spreadsheet that reads the column as numbers strips the zeros of every code that had them, so a
    damaged file keeps no 11-digit code starting with 0 — or, when only some rows were pasted as
    numbers, shows several short codes that become valid once padded. One short code among intact
    zero-led ones is a typo (a dropped digit), and one in ten typos happens to pass the check digit once
    padded: it must be reported, not silently turned into someone's partita IVA.
    """
    restorable = intact = 0
    for typed in typed_codes:
        code = normalise_tax_code(typed)
        if len(code) == 11 and code.isdigit() and code[0] == "0":
            intact += 1
        elif restore_zeros(code):
            restorable += 1
    return restorable >= 2 or (restorable == 1 and intact == 0)


# An unquoted ASCII address: the local part a dot-atom (RFC 5322 atext, as email-validator reads it), the
# domain made of hostname characters. email-validator accepts such a local part as it is whatever the
# domain, so for these the verdict is the domain's, checked once per distinct domain (`_domain`).
_ATEXT = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+"
_SIMPLE_ADDRESS = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.\-]+)")
_MAX_ADDRESS = 254  # email-validator's limit on the whole address (RFC 5321)


@lru_cache(maxsize=65_536)
def check_email(value: str) -> tuple[str, str]:
    """Validate an email address without DNS → (normalised, error detail).

    The verdict is email-validator's: a plain address (most of them) is split here and its domain
    validated by email-validator once per distinct domain; any other address, and any address whose
    domain fails, is validated whole, so a rejection is always explained by the library's own words."""
    simple = _SIMPLE_ADDRESS.fullmatch(value)
    if simple is not None and len(value) <= _MAX_ADDRESS:
        domain = _domain(simple.group(2))
        if domain.isascii() and domain:  # an IDNA domain's Unicode form changes the length: checked whole
            return f"{simple.group(1)}@{domain}".casefold(), ""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as err:
        return "", _email_detail(str(err))
    return result.normalized.casefold(), ""


@lru_cache(maxsize=65_536)  # many bodies write from a domain of their own
def _domain(typed: str) -> str:
    """A hostname-character domain as email-validator normalises it, or '' if it rejects it."""
    try:
        return validate_email(f"a@{typed}", check_deliverability=False).domain
    except EmailNotValidError:
        return ""


def _email_detail(english: str) -> str:
    """email-validator explains in English: say the same to the applicant in Italian."""
    text = english.casefold()
    if "must have an @-sign" in text:
        return labels.EMAIL_DETAILS["at_sign"]
    if "invalid characters" in text or "space" in text:
        return labels.EMAIL_DETAILS["characters"]
    if "two periods" in text or "period" in text or "after the @-sign" in text or "domain" in text:
        return labels.EMAIL_DETAILS["domain"]
    return labels.EMAIL_DETAILS["form"]


def phone_digits(value: str) -> str:
    """Digits of a phone number without the Italian country prefix."""
    digits = _NOT_DIGIT.sub("", value)
    if digits.startswith("0039"):
        digits = digits[4:]
    elif digits.startswith("39") and len(digits) > 10:
        digits = digits[2:]
    return digits


# ASCII words of the kept characters, single-spaced: what `fold_alnum(keep="@.")` only lower-cases
_FOLDED_MARKER = re.compile(r"[A-Za-z0-9@.]+(?: [A-Za-z0-9@.]+)*")


# a row's name is read three times, one right after the other: as a test phrase, as a test, as missing (a
# small cache serves those; one entry per row of a large file would only hold memory)
@lru_cache(maxsize=1_024)
def _fold_marker(text: str) -> str:
    """A name or an address as test markers are compared: `sync.text.fold_alnum`, keeping «@» and «.»."""
    if _FOLDED_MARKER.fullmatch(text):
        return text.lower()  # most addresses, many names: folding would change nothing else
    return fold_alnum(text, keep="@.")


@lru_cache(maxsize=16)
def _test_markers(words: tuple[str, ...], emails: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(_fold_marker(w) for w in words), frozenset(_fold_marker(e) for e in emails)


_MARKERS = frozenset(labels.TEST_MARKERS)
_CONTEXT = frozenset(labels.TEST_CONTEXT)
# any of the instructions, as whole words of a folded name padded with spaces (one search, not one per phrase)
_INSTRUCTIONS = re.compile("|".join(re.escape(f" {phrase} ") for phrase in labels.TEST_INSTRUCTIONS))
# a marker opening the name, then a separator: "Prova - Casa di Zaccheo", "TEST: modulo"
_OPENING_MARKER = re.compile(r"^\W*(" + "|".join(labels.TEST_MARKERS) + r")\s*[-:/)\]|,]", re.IGNORECASE)


def looks_like_test(name: str) -> bool:
    """A name phrased as a test: a marker word with a word about the form, an instruction to ignore
    it or a number ("Prova compilazione", "Modulo di prova", "prova 2", "Test modulo (ignorare)"),
    or a marker opening the name apart from it ("PROVA Casa di Zaccheo", "Prova - ...")."""
    folded = _fold_marker(name)
    if _INSTRUCTIONS.search(f" {folded} "):
        return True
    words = folded.split()
    if _MARKERS.isdisjoint(words):
        return False  # most names: no marker word
    markers = [i for i, w in enumerate(words) if w in _MARKERS]
    if _CONTEXT.intersection(words) or any(words[i + 1 : i + 2] and words[i + 1].isdigit() for i in markers):
        return True
    if all(w in _MARKERS for w in words) or _OPENING_MARKER.match(name):
        return True
    # typed in capitals while the rest of the name is not: "PROVA Casa di Zaccheo"
    first = name.split()[0] if name.split() else ""
    return markers[0] == 0 and first.isupper() and len(first) > 1 and not name.isupper()


def is_test_submission(response: Response, ambito: Ambito) -> bool:
    """A test: a name that is a test phrase, or phrased as one (`looks_like_test`), a response sent
    from the office's own addresses, or a test email with a test word in the name."""
    words, emails = _test_markers(ambito.test_words, ambito.test_emails)
    name = _fold_marker(response.name)
    if name and (name in words or looks_like_test(response.name)):
        return True
    office, _ = _test_markers(ambito.office.addresses, ())
    if office and ({_fold_marker(response.email), _fold_marker(response.pec)} & office):
        return True
    if emails and _fold_marker(response.email) in emails:
        return bool(set(name.split()) & {"prova", "test", "collaudo"})
    return False


@dataclass(slots=True)
class _Row:
    """One response being checked: what the rules read, the problems they found, the values they cleaned."""

    response: Response
    ambito: Ambito
    comuni: ComuniIndex
    damaged_codes: bool
    problems: list[Problem] = field(default_factory=list)
    test: bool = False
    email: str = ""
    pec: str = ""
    tax_code: str = ""
    kind: str = ""
    comune: ComuneMatch = _NO_COMUNE
    late: bool = False

    def add(self, field_: str, code: str, value: str, blocking: bool, msg: str, suggestion: str = "") -> None:
        severity = Severity.BLOCKING if blocking else Severity.WARNING
        self.problems.append(Problem(self.response.row, field_, code, value, severity, msg, suggestion))


def _rule_test(row: _Row) -> None:
    name = row.response.name
    row.test = is_test_submission(row.response, row.ambito)
    if row.test:
        row.add("name", "invio_di_prova", name, True, message("invio_di_prova", value=name))


def _rule_name(row: _Row) -> None:
    if not _fold_marker(row.response.name):
        row.add("name", "denominazione_mancante", row.response.name, True, message("denominazione_mancante"))


def _rule_consent(row: _Row) -> None:
    consent = row.response.consent.strip()
    if not consent:
        row.add("consent", "consenso_mancante", "", True, message("consenso_mancante"))
    elif _NEGATION.match(consent):
        row.add("consent", "consenso_mancante", consent, True, message("consenso_negato"))


def _rule_areas(row: _Row) -> None:
    # an answer no configured area matches is the office's set-up to fix, never the applicant's fault
    r = row.response
    if not r.areas and not r.unknown_areas:
        row.add("areas", "nessuna_area", r.areas_raw, True, message("nessuna_area"))
    for piece in r.unknown_areas:
        row.add("areas", "area_non_configurata", piece, False, message("area_non_configurata", value=piece))


def _rule_email(row: _Row) -> None:
    typed = row.response.email
    if not typed.strip():
        # a manual application (PEC, paper) may give only a PEC: checked with the PEC
        if not row.response.manual:
            row.add("email", "email_non_valida", "", True, message("email_mancante"))
        return
    row.email, detail = check_email(typed.strip())
    if not row.email:
        text = message("email_non_valida", value=typed, detail=detail)
        row.add("email", "email_non_valida", typed, True, text)


def _rule_tax_code(row: _Row) -> None:
    typed, required = row.response.tax_code, row.ambito.tax_code_required
    if not typed.strip():
        row.add("tax_code", "cf_mancante", "", required, message("cf_mancante"))
        return
    code, kind, detail = check_tax_code(typed)
    restored = restore_zeros(code) if detail and row.damaged_codes else ""
    if restored:
        code, kind, detail = restored, "ente", ""
        text = message("cf_zeri_ripristinati", value=typed.strip(), restored=restored)
        row.add("tax_code", "cf_zeri_ripristinati", typed, False, text)
    if detail:
        text = message("cf_non_valido", value=typed.strip(), detail=detail)
        row.add("tax_code", "cf_non_valido", typed, required, text)
        return
    row.tax_code, row.kind = code, kind
    if strip_tax_code_label(typed) != typed:
        shown = typed.strip()
        row.add("tax_code", "cf_ripulito", shown, False, message("cf_ripulito", value=shown, number=code))
    if kind == "persona":
        row.add("tax_code", "cf_persona_fisica", code, False, message("cf_persona_fisica", value=code))


def _rule_comune(row: _Row) -> None:
    typed = row.response.comune
    found = row.comune = row.comuni.resolve(typed)
    if not typed.strip():
        row.add("comune", "comune_sconosciuto", "", False, message("comune_mancante"))
    elif not found.istat:
        suggestion = labels.SUGGESTION_COMUNE.format(name=found.suggestion) if found.suggestion else ""
        text = message("comune_sconosciuto", value=typed)
        row.add("comune", "comune_sconosciuto", typed, False, text, suggestion)
    elif not found.in_ambito:
        where = f"{found.name} ({found.province})" if found.province else found.name
        text = message("comune_fuori_ambito", value=where, ambito=row.ambito.name)
        row.add("comune", "comune_fuori_ambito", typed, False, text)


def _rule_runts(row: _Row) -> None:
    runts = row.response.runts.strip()
    if not row.ambito.runts_required:
        return
    if not runts:
        row.add("runts", "runts_mancante", "", False, message("runts_mancante"))
    elif not any(ch.isdigit() for ch in runts):
        # «in corso di iscrizione», «-», «iscritta»: an answer, but not the number the avviso asks for
        row.add("runts", "runts_mancante", runts, False, message("runts_senza_numero", value=runts))


def _rule_pec(row: _Row) -> None:
    typed = row.response.pec
    if typed.strip():
        row.pec, _ = check_email(typed.strip())
        if not row.pec:
            row.add("pec", "pec_non_valida", typed, False, message("pec_non_valida", value=typed))


def _rule_manual(row: _Row) -> None:
    """A row of `Domande manuali`: an e-mail or a PEC to reach the body, and the channel it came by."""
    r = row.response
    if not r.manual:
        return
    if not row.pec and not r.email.strip():
        row.add("pec", "recapito_mancante", "", True, message("recapito_mancante"))
    channel = r.channel.strip()
    if not channel:
        row.add("channel", "canale_non_valido", "", False, message("canale_mancante"))
    elif not labels.CHANNEL_SPELLINGS.get(" ".join(channel.split()).casefold()):
        row.add("channel", "canale_non_valido", channel, False, message("canale_non_valido", value=channel))


def _rule_timestamp(row: _Row) -> None:
    r, ambito = row.response, row.ambito
    if r.submitted_at is None:
        text = message("data_non_valida", value=r.submitted_raw)
        row.add("timestamp", "data_non_valida", r.submitted_raw, False, text)
    elif r.submitted_at > ambito.deadline:
        row.late = True
        deadline = ambito.deadline.strftime("%d/%m/%Y %H:%M")
        text = message("oltre_scadenza", deadline=deadline, after_deadline=ambito.after_deadline)
        row.add("timestamp", "oltre_scadenza", r.submitted_raw, False, text)


# The rules of one response, in the order its problems are listed (the PEC before the manual channel:
# a manual row is reachable by its PEC only if the PEC is valid).
_RULES: tuple[Callable[[_Row], None], ...] = (
    _rule_test,
    _rule_name,
    _rule_consent,
    _rule_areas,
    _rule_email,
    _rule_tax_code,
    _rule_comune,
    _rule_runts,
    _rule_pec,
    _rule_manual,
    _rule_timestamp,
)


def check(
    response: Response, ambito: Ambito, comuni: ComuniIndex | None = None, *, damaged_codes: bool = False
) -> Checked:
    """Validate one response: every problem as a value, blocking or warning per the Ambito's rules.

    `damaged_codes`: the response comes from a file whose tax codes lost their leading zeros (see
    `zeros_lost`); a short code is then restored. A single submission judged on its own (the webhook)
    is the text as typed, so a short code there is a typo.
    """
    row = _Row(response, ambito, comuni or index_for(ambito), damaged_codes)
    for rule in _RULES:
        rule(row)
    problems = row.problems
    if row.test:
        # a test submission is reported as such, not as a list of missing answers
        problems = [p for p in problems if p.severity is Severity.WARNING or p.code == "invio_di_prova"]
    found = row.comune
    return Checked(
        response=response,
        problems=tuple(problems),
        tax_code=row.tax_code,
        tax_code_kind=row.kind,
        email=row.email,
        pec=row.pec,
        phone=phone_digits(response.phone),
        comune_istat=found.istat,
        comune_name=found.name,
        province=found.province,
        in_ambito=found.in_ambito,
        late=row.late,
        tipologia=classify(response.name, response.legal_form, response.runts),
    )
