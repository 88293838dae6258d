"""`publiccode.yml` at the repository root is valid against the publiccode.yml standard v0.4.

No validator of the standard is published on PyPI (the reference one, publiccode-parser-go, is a Go
program), so `problems()` below is a check written from the standard's text: docs/standard/schema.core.rst
and schema.it.rst of publiccodeyml/publiccode.yml at tag v0.4.0 (keys, presence, types, enumerations,
lengths, the categories and scope vocabularies). A broken copy of the file must fail it.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PUBLICCODE = ROOT / "publiccode.yml"

# docs/standard/categories-list.rst (v0.4.0)
_CATEGORIES = """accounting agile-project-management applicant-tracking application-development appointment-scheduling
    backup billing-and-invoicing blog budgeting business-intelligence business-process-management cad
    call-center-management cloud-management collaboration communications compliance-management
    contact-management content-management crm customer-service-and-support data-analytics data-collection
    data-visualization design design-system digital-asset-management digital-citizenship document-management
    donor-management e-commerce e-signature educational-content email-management email-marketing
    employee-management enterprise-project-management enterprise-social-networking erp event-management
    facility-management feedback-and-reviews-management financial-reporting fleet-management fundraising
    gamification geographic-information-systems grant-management graphic-design help-desk hr ide
    identity-management instant-messaging integrated-library-system inventory-management it-asset-management
    it-development it-management it-security it-service-management knowledge-management
    learning-management-system marketing mind-mapping mobile-marketing mobile-payment network-management
    office online-booking online-community payment-gateway payroll predictive-analysis procurement
    productivity-suite project-collaboration project-management property-management real-estate-management
    regulations-and-directives remote-support resource-management sales-management seo service-desk
    social-media-management survey talent-management task-management taxes-management test-management
    time-management time-tracking translation video-conferencing video-editing visitor-management voip
    warehouse-management web-collaboration web-conferencing website-builder whistleblowing
    workflow-management"""
CATEGORIES = frozenset(_CATEGORIES.split())
# docs/standard/scope-list.rst (v0.4.0)
_SCOPES = """agriculture culture defence education emergency-services employment energy environment
    finance-and-economic-development foreign-affairs government healthcare infrastructures justice
    local-authorities manufacturing research science-and-technology security society sport tourism
    transportation welfare"""
SCOPES = frozenset(_SCOPES.split())
PLATFORMS = ("web", "windows", "mac", "linux", "ios", "android")  # others are allowed, human readable
DEVELOPMENT_STATUS = ("concept", "development", "beta", "stable", "obsolete")
SOFTWARE_TYPES = (
    "standalone/mobile",
    "standalone/iot",
    "standalone/desktop",
    "standalone/web",
    "standalone/backend",
    "standalone/other",
    "addon",
    "library",
    "configurationFiles",
)
MAINTENANCE_TYPES = ("internal", "contract", "community", "none")
TOP_LEVEL = {
    # key: (mandatory, type)
    "publiccodeYmlVersion": (True, str),
    "name": (True, str),
    "applicationSuite": (False, str),
    "url": (True, str),
    "landingURL": (False, str),
    "isBasedOn": (False, (str, list)),
    "softwareVersion": (False, str),
    "releaseDate": (False, str),
    "logo": (False, str),
    "monochromeLogo": (False, str),
    "inputTypes": (False, list),
    "outputTypes": (False, list),
    "platforms": (True, (str, list)),
    "categories": (True, list),
    "usedBy": (False, list),
    "roadmap": (False, str),
    "developmentStatus": (True, str),
    "softwareType": (True, str),
    "intendedAudience": (False, dict),
    "description": (True, dict),
    "legal": (True, dict),
    "maintenance": (True, dict),
    "localisation": (True, dict),
    "dependsOn": (False, dict),
    "it": (False, dict),
}
DESCRIPTION = {
    "localisedName": (False, str),
    "genericName": (False, str),
    "shortDescription": (True, str),
    "longDescription": (True, str),
    "documentation": (False, str),
    "apiDocumentation": (False, str),
    "features": (True, list),
    "screenshots": (False, list),
    "videos": (False, list),
    "awards": (False, list),
}
LEGAL = {
    "license": (True, str),
    "mainCopyrightOwner": (False, str),
    "repoOwner": (False, str),
    "authorsFile": (False, str),
}
CONTACT = {"name": (True, str), "email": (False, str), "phone": (False, str), "affiliation": (False, str)}
CONTRACTOR = {"name": (True, str), "until": (True, str), "email": (False, str), "website": (False, str)}
DEPENDENCY = {
    "name": (True, str),
    "versionMin": (False, str),
    "versionMax": (False, str),
    "version": (False, str),
    "optional": (False, bool),
}
IT_CONFORME = ("lineeGuidaDesign", "modelloInteroperabilita", "misureMinimeSicurezza", "gdpr")
IT_PIATTAFORME = ("spid", "cie", "anpr", "pagopa", "io")
# SPDX identifiers of the open-source licences this check knows (the standard: any SPDX expression)
SPDX = frozenset({"EUPL-1.2", "EUPL-1.1", "AGPL-3.0-or-later", "GPL-3.0-or-later", "MIT", "Apache-2.0"})
URL = re.compile(r"https?://[^\s/$.?#][^\s]*\Z")
BCP47 = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")  # the primary language subtag cannot be omitted
COUNTRY = re.compile(r"[a-z]{2}\Z")  # lowercase ISO 3166-1 alpha-2


def _keys(where: str, value: Any, spec: dict[str, tuple[bool, Any]]) -> list[str]:
    """Mandatory keys present, every key known, every value of its type."""
    if not isinstance(value, dict):
        return [f"{where or 'publiccode.yml'}: not a mapping"]
    at = f"{where}." if where else ""
    out = [f"{at}{k}: mandatory, missing" for k, (needed, _) in spec.items() if needed and k not in value]
    for k, v in value.items():
        if k not in spec:
            out.append(f"{at}{k}: unknown key")
        elif not isinstance(v, spec[k][1]) or (spec[k][1] is str and not v.strip()):
            out.append(f"{at}{k}: wrong type {type(v).__name__}")
    return out


def _strings(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        return [f"{where}: must be a non-empty list"]
    return [f"{where}[{i}]: not a string" for i, v in enumerate(value) if not isinstance(v, str) or not v]


def _date(where: str, value: Any) -> list[str]:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return [f"{where}: not a YYYY-MM-DD date"]
    return [] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else [f"{where}: not a YYYY-MM-DD date"]


def problems(doc: Any, root: Path = ROOT) -> list[str]:
    """Every way `doc` breaks the publiccode.yml standard v0.4 (core and Italian extension)."""
    out = _keys("", doc, TOP_LEVEL)
    if out and not isinstance(doc, dict):
        return out
    if isinstance(doc.get("publiccodeYmlVersion"), str) and doc["publiccodeYmlVersion"] not in (
        "0.4",
        "0.4.0",
    ):
        out.append("publiccodeYmlVersion: must be 0.4")
    for key in ("url", "landingURL", "roadmap"):
        if isinstance(doc.get(key), str) and not URL.match(doc[key]):
            out.append(f"{key}: not a URL")
    if "releaseDate" in doc:
        out += _date("releaseDate", doc["releaseDate"])
    if isinstance(doc.get("platforms"), list):
        out += _strings("platforms", doc["platforms"])
    if isinstance(doc.get("categories"), list):
        out += _strings("categories", doc["categories"])
        out += [f"categories: unknown {c!r}" for c in doc["categories"] if c not in CATEGORIES]
    if "developmentStatus" in doc and doc["developmentStatus"] not in DEVELOPMENT_STATUS:
        out.append(f"developmentStatus: not one of {DEVELOPMENT_STATUS}")
    if "softwareType" in doc and doc["softwareType"] not in SOFTWARE_TYPES:
        out.append(f"softwareType: not one of {SOFTWARE_TYPES}")
    for key in ("logo", "monochromeLogo"):
        if isinstance(doc.get(key), str) and not URL.match(doc[key]) and not (root / doc[key]).is_file():
            out.append(f"{key}: no such file in the repository")

    audience = doc.get("intendedAudience")
    if isinstance(audience, dict):
        spec = {"countries": (False, list), "unsupportedCountries": (False, list), "scope": (False, list)}
        out += _keys("intendedAudience", audience, spec)
        for key in ("countries", "unsupportedCountries"):
            for c in audience.get(key) or []:
                if not isinstance(c, str) or not COUNTRY.match(c):
                    out.append(f"intendedAudience.{key}: {c!r} is not a lowercase ISO 3166-1 alpha-2 code")
        out += [
            f"intendedAudience.scope: unknown {s!r}" for s in audience.get("scope") or [] if s not in SCOPES
        ]

    description = doc.get("description")
    if isinstance(description, dict):
        if not description:
            out.append("description: at least one language")
        for lang, text in description.items():
            where = f"description.{lang}"
            if not isinstance(lang, str) or not BCP47.match(lang):
                out.append(f"{where}: not a BCP 47 language tag")
            out += _keys(where, text, DESCRIPTION)
            if not isinstance(text, dict):
                continue
            short, long_ = text.get("shortDescription"), text.get("longDescription")
            if isinstance(short, str) and len(short) > 150:
                out.append(f"{where}.shortDescription: longer than 150 characters")
            if isinstance(long_, str) and not 150 <= len(long_) <= 10000:
                out.append(f"{where}.longDescription: not between 150 and 10000 characters")
            if isinstance(text.get("genericName"), str) and len(text["genericName"]) > 35:
                out.append(f"{where}.genericName: longer than 35 characters")
            if isinstance(text.get("features"), list):
                out += _strings(f"{where}.features", text["features"])
            for key in ("documentation", "apiDocumentation"):
                if isinstance(text.get(key), str) and not URL.match(text[key]):
                    out.append(f"{where}.{key}: not a URL")
            for shot in text.get("screenshots") or []:
                if not isinstance(shot, str) or not (URL.match(shot) or (root / shot).is_file()):
                    out.append(f"{where}.screenshots: {shot!r} is no file of the repository")
                elif not shot.lower().endswith((".png", ".jpg", ".jpeg")):
                    out.append(f"{where}.screenshots: {shot!r} is not PNG or JPG")

    legal = doc.get("legal")
    out += _keys("legal", legal, LEGAL) if "legal" in doc else []
    if isinstance(legal, dict) and isinstance(legal.get("license"), str):
        ids = re.split(r"\s+(?:AND|OR|WITH)\s+", legal["license"].strip("() "))
        out += [f"legal.license: {i!r} is not a known SPDX identifier" for i in ids if i not in SPDX]

    maintenance = doc.get("maintenance")
    if isinstance(maintenance, dict):
        spec = {"type": (True, str), "contractors": (False, list), "contacts": (False, list)}
        out += _keys("maintenance", maintenance, spec)
        kind = maintenance.get("type")
        if "type" in maintenance and kind not in MAINTENANCE_TYPES:
            out.append(f"maintenance.type: not one of {MAINTENANCE_TYPES}")
        if kind == "contract" and not maintenance.get("contractors"):
            out.append("maintenance.contractors: mandatory when type is contract")
        if kind != "contract" and "contractors" in maintenance:
            out.append("maintenance.contractors: only when type is contract")
        if kind in ("internal", "community") and not maintenance.get("contacts"):
            out.append(f"maintenance.contacts: mandatory when type is {kind}")
        for i, contact in enumerate(maintenance.get("contacts") or []):
            out += _keys(f"maintenance.contacts[{i}]", contact, CONTACT)
        for i, contractor in enumerate(maintenance.get("contractors") or []):
            out += _keys(f"maintenance.contractors[{i}]", contractor, CONTRACTOR)
            if isinstance(contractor, dict) and "until" in contractor:
                out += _date(f"maintenance.contractors[{i}].until", contractor["until"])

    localisation = doc.get("localisation")
    if isinstance(localisation, dict):
        spec = {"localisationReady": (True, bool), "availableLanguages": (True, list)}
        out += _keys("localisation", localisation, spec)
        languages = localisation.get("availableLanguages")
        if isinstance(languages, list):
            out += _strings("localisation.availableLanguages", languages)
            out += [
                f"localisation.availableLanguages: {x!r} is not a BCP 47 language tag"
                for x in languages
                if isinstance(x, str) and not BCP47.match(x)
            ]

    depends = doc.get("dependsOn")
    if isinstance(depends, dict):
        spec = {"open": (False, list), "proprietary": (False, list), "hardware": (False, list)}
        out += _keys("dependsOn", depends, spec)
        for group in spec:
            for i, dep in enumerate(depends.get(group) or []):
                out += _keys(f"dependsOn.{group}[{i}]", dep, DEPENDENCY)

    italy = doc.get("it")
    if isinstance(italy, dict):
        spec = {
            "countryExtensionVersion": (True, str),
            "conforme": (False, dict),
            "piattaforme": (False, dict),
            "riuso": (False, dict),
        }
        out += _keys("it", italy, spec)
        if "countryExtensionVersion" in italy and italy["countryExtensionVersion"] != "1.0":
            out.append("it.countryExtensionVersion: must be 1.0")
        for section, names in (("conforme", IT_CONFORME), ("piattaforme", IT_PIATTAFORME)):
            if isinstance(italy.get(section), dict):
                out += _keys(f"it.{section}", italy[section], {n: (False, bool) for n in names})
        if isinstance(italy.get("riuso"), dict):
            out += _keys("it.riuso", italy["riuso"], {"codiceIPA": (False, str)})
    return out


def _load() -> dict[str, Any]:
    doc = yaml.safe_load(PUBLICCODE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_publiccode_yml_is_valid() -> None:
    assert problems(_load()) == []


def test_publiccode_yml_says_what_the_repository_is() -> None:
    doc = _load()
    # the licence it declares is the one in LICENSE
    assert doc["legal"]["license"] == "EUPL-1.2"
    assert (
        (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("European Union Public Licence\nV. 1.2\n")
    )
    it = doc["description"]["it"]
    assert doc["localisation"]["availableLanguages"] == ["it"] and list(doc["description"]) == ["it"]
    assert doc["intendedAudience"]["countries"] == ["it"]
    assert set(doc["platforms"]) <= set(PLATFORMS)
    assert len(it["longDescription"]) >= 150 and len(it["features"]) >= 5
    assert {d["name"] for d in doc["dependsOn"]["open"]} >= {"Python"}
    python = next(d for d in doc["dependsOn"]["open"] if d["name"] == "Python")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'requires-python = ">={python["versionMin"]}"' in pyproject
    assert all(d.get("optional") is True for d in doc["dependsOn"]["proprietary"])  # Google is never needed
    assert it["screenshots"] == ["docs/elenco-pubblico.png"]
    assert doc["it"]["countryExtensionVersion"] == "1.0"


def _without(doc: dict[str, Any], path: str) -> dict[str, Any]:
    broken = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = broken
    for p in parents:
        node = node[p]
    del node[last]
    return broken


def _with(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = broken
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return broken


MANDATORY = [
    ("publiccodeYmlVersion", "publiccodeYmlVersion: mandatory, missing"),
    ("name", "name: mandatory, missing"),
    ("url", "url: mandatory, missing"),
    ("platforms", "platforms: mandatory, missing"),
    ("categories", "categories: mandatory, missing"),
    ("developmentStatus", "developmentStatus: mandatory, missing"),
    ("softwareType", "softwareType: mandatory, missing"),
    ("description", "description: mandatory, missing"),
    ("legal", "legal: mandatory, missing"),
    ("maintenance", "maintenance: mandatory, missing"),
    ("localisation", "localisation: mandatory, missing"),
    ("description.it.shortDescription", "description.it.shortDescription: mandatory, missing"),
    ("description.it.longDescription", "description.it.longDescription: mandatory, missing"),
    ("description.it.features", "description.it.features: mandatory, missing"),
    ("legal.license", "legal.license: mandatory, missing"),
    ("maintenance.type", "maintenance.type: mandatory, missing"),
    ("maintenance.contacts", "maintenance.contacts: mandatory when type is internal"),
    ("localisation.localisationReady", "localisation.localisationReady: mandatory, missing"),
    ("localisation.availableLanguages", "localisation.availableLanguages: mandatory, missing"),
    ("it.countryExtensionVersion", "it.countryExtensionVersion: mandatory, missing"),
]


@pytest.mark.parametrize(("path", "message"), MANDATORY, ids=[p for p, _ in MANDATORY])
def test_a_copy_without_a_mandatory_key_fails(path: str, message: str) -> None:
    assert problems(_without(_load(), path)) == [message]


BROKEN = [
    ("publiccodeYmlVersion", "0.1", "publiccodeYmlVersion: must be 0.4"),
    ("publiccodeYmlVersion", 0.4, "publiccodeYmlVersion: wrong type float"),
    ("url", "elenco.git", "url: not a URL"),
    ("categories", ["social-services"], "categories: unknown 'social-services'"),
    ("categories", "data-collection", "categories: wrong type str"),
    ("developmentStatus", "alpha", f"developmentStatus: not one of {DEVELOPMENT_STATUS}"),
    ("softwareType", "standalone", f"softwareType: not one of {SOFTWARE_TYPES}"),
    ("releaseDate", "02/12/2026", "releaseDate: not a YYYY-MM-DD date"),
    ("colour", "blu", "colour: unknown key"),
    (
        "intendedAudience.countries",
        ["IT"],
        "intendedAudience.countries: 'IT' is not a lowercase ISO 3166-1 alpha-2 code",
    ),
    ("intendedAudience.scope", ["social-services"], "intendedAudience.scope: unknown 'social-services'"),
    (
        "description.it.shortDescription",
        "x" * 151,
        "description.it.shortDescription: longer than 150 characters",
    ),
    (
        "description.it.longDescription",
        "troppo corta",
        "description.it.longDescription: not between 150 and 10000 characters",
    ),
    ("description.it.features", [], "description.it.features: must be a non-empty list"),
    ("description.it.documentation", "GUIDA.md", "description.it.documentation: not a URL"),
    (
        "description.it.screenshots",
        ["docs/manca.png"],
        "description.it.screenshots: 'docs/manca.png' is no file of the repository",
    ),
    ("legal.license", "EUPL", "legal.license: 'EUPL' is not a known SPDX identifier"),
    ("maintenance.type", "volunteers", f"maintenance.type: not one of {MAINTENANCE_TYPES}"),
    ("maintenance.contacts", [{"email": "a@b.it"}], "maintenance.contacts[0].name: mandatory, missing"),
    ("localisation.localisationReady", "no", "localisation.localisationReady: wrong type str"),
    (
        "localisation.availableLanguages",
        ["italiano"],
        "localisation.availableLanguages: 'italiano' is not a BCP 47 language tag",
    ),
    ("dependsOn.open", [{"version": "3.11"}], "dependsOn.open[0].name: mandatory, missing"),
    ("dependsOn.open.0.optional", "yes", "dependsOn.open[0].optional: wrong type str"),
    ("it.countryExtensionVersion", "0.1", "it.countryExtensionVersion: must be 1.0"),
    ("it.conforme.gdpr", "sì", "it.conforme.gdpr: wrong type str"),
    ("it.piattaforme.spid2", False, "it.piattaforme.spid2: unknown key"),
]


@pytest.mark.parametrize(("path", "value", "message"), BROKEN, ids=[f"{p}={v!r}"[:40] for p, v, _ in BROKEN])
def test_a_broken_copy_fails(path: str, value: Any, message: str) -> None:
    assert problems(_with(_load(), path, value)) == [message]


def test_a_contract_needs_contractors_with_an_end_date() -> None:
    doc = _with(
        _load(), "maintenance", {"type": "contract", "contractors": [{"name": "Ditta", "until": "2027"}]}
    )
    assert problems(doc) == ["maintenance.contractors[0].until: not a YYYY-MM-DD date"]
    assert problems(_with(_load(), "maintenance", {"type": "contract"})) == [
        "maintenance.contractors: mandatory when type is contract"
    ]
