"""Ambito configuration: pydantic models loaded from a preset or a YAML file.

A configuration file (`elenco.yaml`) names a preset and may override any of its keys:

    preset: crema
    backend:
      kind: xlsx
      folder: .

Presets live in `sheets_templates/presets/<name>.yaml` and describe one Ambito's avviso: its comuni,
areas as labelled on the form, phases, deadline, meeting calendar and the question title of each field.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sync import labels
from sync.errors import ConfigError
from sync.reference import load_reference
from sync.text import fold

PRESETS = ("crema", "cremonese", "cernusco")
FIELDS = (
    "timestamp",
    "email",
    "name",
    "tax_code",
    "legal_form",
    "runts",
    "comune",
    "address",
    "contact_name",
    "phone",
    "pec",
    "areas",
    "phases",
    "experience",
    "consent",
)
REQUIRED_FIELDS = ("timestamp", "email", "name", "tax_code", "comune", "areas", "consent")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Comune(_Model):
    """A member comune of the Ambito, with the spellings applicants use."""

    nome: str
    istat: Annotated[str, Field(pattern=r"^\d{6}$")]
    varianti: tuple[str, ...] = ()
    frazioni: tuple[str, ...] = ()  # frazioni and quartieri applicants give instead of the comune


class Area(_Model):
    """A thematic area: the label exactly as on the form, a short code and its tab name."""

    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,12}$")]
    label: str
    # other ways the form or people write this area (the avviso's full wording, an older form's label)
    wording: tuple[str, ...] = ()
    # Excel allows 31 characters in a tab name, and the roster tab is "Presenze " + this name.
    tab: Annotated[str, Field(min_length=1, max_length=22)]

    @field_validator("tab")
    @classmethod
    def _tab_name(cls, value: str) -> str:
        if any(ch in value for ch in "[]*?/\\:"):
            raise ValueError(labels.say("config_scheda_caratteri"))
        if value.startswith("_") or fold(value).startswith("presenze"):  # `layouts.ROSTER_PREFIX`
            raise ValueError(labels.say("config_scheda_inizio"))
        return value


class Phase(_Model):
    """A phase of the co-programming; late applicants only join phases with `after_deadline`."""

    code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,20}$")]
    label: str
    after_deadline: bool = False


# The area code of a plenary meeting: one meeting for every admitted organisation («Tutte le aree»).
PLENARY = "plenaria"


class Meeting(_Model):
    """A meeting of an area's table (or a plenary: area `plenaria`), as seeded into the `Calendario` tab."""

    area: str
    date: date
    time: str = ""
    place: str = ""
    phase: str = ""


class Questions(_Model):
    """The form question title of each field, with accepted aliases (matched after normalisation)."""

    timestamp: tuple[str, ...] = labels.QUESTION_TITLES["timestamp"]
    email: tuple[str, ...] = labels.QUESTION_TITLES["email"]
    name: tuple[str, ...] = labels.QUESTION_TITLES["name"]
    tax_code: tuple[str, ...] = labels.QUESTION_TITLES["tax_code"]
    legal_form: tuple[str, ...] = labels.QUESTION_TITLES["legal_form"]
    runts: tuple[str, ...] = labels.QUESTION_TITLES["runts"]
    comune: tuple[str, ...] = labels.QUESTION_TITLES["comune"]
    address: tuple[str, ...] = labels.QUESTION_TITLES["address"]
    contact_name: tuple[str, ...] = labels.QUESTION_TITLES["contact_name"]
    phone: tuple[str, ...] = labels.QUESTION_TITLES["phone"]
    pec: tuple[str, ...] = labels.QUESTION_TITLES["pec"]
    areas: tuple[str, ...] = labels.QUESTION_TITLES["areas"]
    phases: tuple[str, ...] = labels.QUESTION_TITLES["phases"]
    experience: tuple[str, ...] = labels.QUESTION_TITLES["experience"]
    consent: tuple[str, ...] = labels.QUESTION_TITLES["consent"]


class FormHelp(_Model):
    """The help text under each question of the form, from the avviso (same fields as `Questions`)."""

    name: str = ""
    tax_code: str = ""
    legal_form: str = ""
    runts: str = ""
    comune: str = ""
    address: str = ""
    contact_name: str = ""
    phone: str = ""
    pec: str = ""
    areas: str = ""
    phases: str = ""
    experience: str = ""


class FormText(_Model):
    """What `elenco modulo` writes into the Google Form besides the titles: help texts, choices, notices."""

    description: str = ""
    confirmation: str = ""
    help: FormHelp = FormHelp()
    legal_forms: tuple[str, ...] = ()
    consent_label: str = ""  # the one box the applicant ticks
    privacy_notice: str = ""  # shown as the consent question's help text


class Office(_Model):
    """Contact of the Ufficio di Piano, shown in the public workbook."""

    name: str = labels.OFFICE_NAME
    email: str = ""
    phone: str = ""
    website: str = ""
    # the office's own e-mail and PEC addresses (never published): a response sent from one is a test
    addresses: tuple[str, ...] = ()


class Ambito(_Model):
    """One Ambito's avviso: everything the core needs to validate and render."""

    code: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,40}$")]
    name: str
    lead_body: str
    province: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    notice: str
    opens: datetime
    deadline: datetime
    after_deadline: str = ""
    tax_code_required: bool
    runts_required: bool
    areas: tuple[Area, ...]
    phases: tuple[Phase, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    comuni: tuple[Comune, ...]
    questions: Questions = Questions()
    test_words: tuple[str, ...] = labels.TEST_WORDS
    test_emails: tuple[str, ...] = labels.TEST_EMAILS
    office: Office = Office()
    form: FormText = FormText()
    licence: str = "CC BY 4.0"
    email_applicants: bool = True
    # which categories of body the avviso admits (`sync.tipologia`): others are flagged `ente_non_ets`
    admitted: tuple[str, ...] = ("ets", "privato", "pubblico")

    @field_validator("admitted")
    @classmethod
    def _admitted(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = ("ets", "privato", "pubblico")
        wrong = [v for v in value if v not in known]
        if wrong:
            raise ValueError(labels.say("config_tipologia", wrong=", ".join(repr(w) for w in wrong)))
        if not value:
            raise ValueError(labels.say("config_nessuna_tipologia"))
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _consistent(self) -> Ambito:
        codes = [a.code for a in self.areas]
        if not codes:
            raise ValueError(labels.say("config_nessuna_area"))
        if len(set(codes)) != len(codes):
            raise ValueError(labels.say("config_aree_ripetute", codes=codes))
        # spreadsheets tell tab names apart by case only, not by accents
        tabs = [a.tab.casefold() for a in self.areas]
        if len(set(tabs)) != len(tabs):
            raise ValueError(labels.say("config_schede_ripetute"))
        if PLENARY in codes:
            raise ValueError(labels.say("config_area_plenaria", code=repr(PLENARY)))
        phase_codes = {p.code for p in self.phases}
        for m in self.meetings:
            if m.area not in codes and m.area != PLENARY:
                raise ValueError(labels.say("config_incontro_area", day=m.date, area=repr(m.area), codes=codes))
            if m.phase and m.phase not in phase_codes:
                phases = sorted(phase_codes)
                raise ValueError(labels.say("config_incontro_fase", day=m.date, phase=repr(m.phase), phases=phases))
        if self.deadline <= self.opens:
            raise ValueError(labels.say("config_scadenza"))
        return self

    def area(self, code: str) -> Area:
        """The area with this code."""
        return next(a for a in self.areas if a.code == code)


class XlsxBackend(_Model):
    """Local folder: `risposte.csv|xlsx` in, workbooks out."""

    kind: Literal["xlsx"] = "xlsx"
    folder: Path = Path(".")


class GSheetsBackend(_Model):
    """Google Sheets: the form's linked spreadsheet and a separate public one."""

    kind: Literal["gsheets"] = "gsheets"
    staff_spreadsheet_id: Annotated[str, Field(min_length=10)]
    public_spreadsheet_id: Annotated[str, Field(min_length=10)]
    responses_tab: str = labels.RESPONSES_TAB
    # A service-account key file, "adc" for Application Default Credentials (App Engine), or "none"
    # (only together with `endpoint`, for the offline fake and proxies).
    credentials: str = "adc"
    # Only for tests and proxies: where the Sheets API answers (default: Google).
    endpoint: str = ""
    timeout_s: float = 30.0
    max_retries: int = 5
    requests_per_minute: int = 60

    @model_validator(mode="after")
    def _two_workbooks(self) -> GSheetsBackend:
        # one ID for both would put the public tabs in the staff workbook and rewrite them on every sync
        if self.staff_spreadsheet_id.strip() == self.public_spreadsheet_id.strip():
            raise ValueError(labels.say("config_stesso_foglio"))
        return self


class Settings(_Model):
    """A deployment: which Ambito, which backend, and service settings."""

    ambito: Ambito
    backend: Annotated[XlsxBackend | GSheetsBackend, Field(discriminator="kind")] = XlsxBackend()
    sync_interval_s: Annotated[int, Field(ge=30)] = 300
    source: str = ""


def preset_text(name: str) -> str:
    """The YAML text of a shipped preset."""
    if name not in PRESETS:
        raise ConfigError(labels.say("config_preset", name=repr(name), presets=", ".join(PRESETS)))
    return (resources.files("sheets_templates") / "presets" / f"{name}.yaml").read_text(encoding="utf-8")


def packaged_yaml(*parts: str) -> Any:
    """A YAML data file shipped in `sheets_templates` (e.g. "demo", "vocabulary.yaml"), parsed."""
    return yaml.safe_load(resources.files("sheets_templates").joinpath(*parts).read_text(encoding="utf-8"))


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _format_error(err: ValidationError, source: str) -> str:
    """Each problem as `key.path: what is wrong`, in Italian."""
    lines = [labels.say("config_non_valida", source=source)]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or labels.CONFIG_ROOT
        template = labels.CONFIG_ERRORS.get(e["type"])
        if template is not None:
            try:
                msg = template.format(**(e.get("ctx") or {}))
            except (KeyError, IndexError):
                msg = e["msg"]
        else:
            msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)


def parse_settings(data: Any, *, source: str, base_dir: Path | None = None) -> Settings:
    """Validate a configuration mapping; a bad one raises ConfigError naming each key and problem."""
    if not isinstance(data, dict):
        raise ConfigError(labels.say("config_non_mappa", source=source))
    data = dict(data)
    preset = data.pop("preset", None)
    if preset is not None:
        base = yaml.safe_load(preset_text(str(preset)))
        ambito_over = data.pop("ambito", {}) or {}
        if not isinstance(ambito_over, dict):
            raise ConfigError(labels.say("config_ambito_non_mappa", source=source))
        data["ambito"] = _deep_merge(base, ambito_over)
    elif "ambito" not in data and "code" in data:
        data = {"ambito": data}
    try:
        settings = Settings.model_validate({**data, "source": source})
    except ValidationError as err:
        raise ConfigError(_format_error(err, source)) from None
    load_reference()  # settings come with the reference data they are compared against: read here, once
    backend = settings.backend
    if base_dir is not None and isinstance(backend, XlsxBackend) and not backend.folder.is_absolute():
        folder = (base_dir / backend.folder).resolve()
        settings = settings.model_copy(update={"backend": backend.model_copy(update={"folder": folder})})
    elif (
        base_dir is not None
        and isinstance(backend, GSheetsBackend)
        and backend.credentials not in ("adc", "none", "anonymous")
        and not Path(backend.credentials).is_absolute()
    ):
        # a key file named in elenco.yaml is found beside elenco.yaml, wherever the command runs from
        key = str((base_dir / backend.credentials).resolve())
        settings = settings.model_copy(update={"backend": backend.model_copy(update={"credentials": key})})
    return settings


def load_settings(spec: str | Path) -> Settings:
    """Load a preset name (`crema`) or a YAML configuration file."""
    text_spec = str(spec)
    if text_spec in PRESETS:
        return parse_settings({"preset": text_spec}, source=f"preset {text_spec}", base_dir=Path.cwd())
    path = Path(spec)
    if not path.exists():
        raise ConfigError(labels.say("config_file_mancante", path=path, presets=", ".join(PRESETS)))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = labels.say("config_yaml_riga", line=mark.line + 1) if mark is not None else ""
        problem = getattr(err, "problem", err)
        raise ConfigError(labels.say("config_yaml", path=path, where=where, problem=problem)) from None
    except UnicodeDecodeError:
        raise ConfigError(labels.say("config_non_utf8", path=path)) from None
    return parse_settings(data, source=str(path), base_dir=path.parent.resolve())


@lru_cache(maxsize=4096)
def normalise_title(text: str) -> str:
    """Normalise a question title: accents, case, spaces, curly quotes, trailing colons and asterisks."""
    return fold(text).rstrip(":*").strip()
