"""Italian sentences live only in the label modules (and `sheets_templates/`), checked on the source.

Every module of `sync/` and `webhook/` but the label modules is read as a syntax tree; each string constant and
the literal text of each f-string (not docstrings, not comments) is judged a sentence for people when it has at
least three words and an Italian function word («di», «il», «non», «dell'»…) or an accented letter. Identifiers
(`decisione_non_applicabile`), regular expressions and the layout words of `sync.layouts` (tab titles and column
headers, which live there beside their widths and kinds) are not sentences.

The staff sentences of `sync.labels` are registered by code in `labels.STAFF` and filled by `labels.say`: every
`labels.say("code", …)` in the code must name a registered code and pass exactly its placeholders, and every registered
code must be used.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync import labels, layouts

ROOT = Path(__file__).resolve().parents[1]
LABEL_MODULES = {"sync/labels.py", "webhook/labels.py"}

# Modules other helpers are still cleaning (issue 10, item 3): the lead removes each entry once it has merged.
PENDING = {
}

# Words that only Italian prose uses (not English, not code): articles, prepositions, «non», verbs of every message.
_FUNCTION_WORDS = """di del della dello dei delle degli dell il lo la le gli un una uno nel nella nei nelle nell al alla
    ai alle allo all dal dalla dai dalle dall sul sulla sui sulle sullo sull con per non che è sono ha hanno
    questa questo queste questi quest oppure anche già più né ogni viene vengono essere deve può
    da indicare manca nessun nessuna"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
_ACCENTED = re.compile(r"[àèéìòùÀÈÉÌÒÙ]")
_REGEX = re.compile(r"\\[sdwb]|\(\?[:=!<]|\[\^")
_TOKENS = re.compile(r"[\s'’]+")
# Layout words: tab titles and column headers (`sync.layouts`), and how a few tabs are named in `labels`.
LAYOUT_WORDS = frozenset(
    value
    for name, value in vars(layouts).items()
    for value in (value if isinstance(value, tuple) else (value,))
    if name.isupper() and isinstance(value, str)
)


def is_sentence(text: str) -> bool:
    """Italian words for people: three words or more, with an Italian function word or an accent."""
    if len(text.split()) < 3 or _REGEX.search(text) or text in LAYOUT_WORDS:
        return False
    words = [w.strip(string.punctuation + "«»…“”") for w in _TOKENS.split(text.casefold())]
    return bool(_ACCENTED.search(text)) or any(w in FUNCTION_WORDS for w in words)


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    found.add(id(stmt.value))
    return found


def _texts(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every string constant and f-string's literal text (placeholders as a space), docstrings left out."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            parts = (v.value if isinstance(v, ast.Constant) else " x " for v in node.values)
            yield node.lineno, "".join(str(p) for p in parts)


def sentences(source: str) -> list[tuple[int, str]]:
    """The Italian sentences written inline in a module's code."""
    return sorted((line, text) for line, text in _texts(ast.parse(source)) if is_sentence(text))


def _modules() -> dict[str, str]:
    out = {}
    for package in ("sync", "webhook"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in LABEL_MODULES:
                out[rel] = path.read_text(encoding="utf-8")
    return out


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(set(MODULES) - set(PENDING)))
def test_no_italian_sentence_outside_the_label_modules(module: str) -> None:
    assert sentences(MODULES[module]) == []


def test_pending_entries_name_modules_that_exist() -> None:
    # an entry outliving its module (renamed, removed) would hide nothing and should go
    assert set(PENDING) <= set(MODULES)


def test_the_scanner_flags_an_inline_sentence() -> None:
    crafted = '''
"""Un modulo di prova: la docstring è in italiano e non conta."""
# neanche un commento: «il foglio non è valido»
CODE = "decisione_non_applicabile"
PATTERN = r"ufficio\\s+di\\s+piano"
HEADER = "Note sullo stato"

def check(row: int) -> str:
    """Anche questa docstring non conta."""
    if row:
        return f"La riga {row} non è valida."
    return "Manca il codice fiscale dell'ente."
'''
    assert sentences(crafted) == [(11, "La riga  x  non è valida."), (12, "Manca il codice fiscale dell'ente.")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nessun incontro in «Calendario»: nessun foglio da stampare.", True),
        ("Presenze Minori e famiglia", False),  # a tab title: no function word
        ("Il modulo e la configurazione differiscono:", True),
        ("Niente da fare: tutte le schede sono già a posto.", True),
        ("the staff workbook is missing a tab", False),  # English, for logs and developers
        ("non-empty grid expected here", False),
        ("Ente del Terzo Settore", True),
        ("Riconoscimento", False),
    ],
)
def test_what_counts_as_a_sentence(text: str, expected: bool) -> None:
    assert is_sentence(text) is expected


# `labels.say`: codes registered, placeholders passed ---------------------------------------------------------


def _say_calls(source: str) -> Iterator[tuple[int, str, set[str], bool]]:
    """(line, code, keywords, has **unpacking) of every `labels.say("code", …)`."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "say" and isinstance(func.value, ast.Name)):
            continue
        if func.value.id != "labels":
            continue
        keywords = {k.arg for k in node.keywords if k.arg is not None}
        yield node.lineno, str(node.args[0].value), keywords, any(k.arg is None for k in node.keywords)


def placeholders(template: str) -> set[str]:
    """The names a template's `{placeholders}` need."""
    return {re.split(r"[.\[]", f)[0] for _, f, _, _ in string.Formatter().parse(template) if f}


def say_problems(source: str, registry: dict[str, str]) -> list[str]:
    """Calls naming an unregistered code, or passing other placeholders than their sentence has."""
    out = []
    for line, code, keywords, unpacked in _say_calls(source):
        if code not in registry:
            out.append(f"{line}: {code!r} is not registered")
            continue
        wanted = placeholders(registry[code])
        if keywords != wanted and not (unpacked and keywords <= wanted):
            out.append(f"{line}: {code!r} needs {sorted(wanted)}, gets {sorted(keywords)}")
    return out


def test_every_say_names_a_registered_code_with_its_placeholders() -> None:
    found = {m: say_problems(src, labels.STAFF) for m, src in MODULES.items()}
    assert {m: p for m, p in found.items() if p} == {}


def test_every_registered_sentence_is_used() -> None:
    used = {code for src in MODULES.values() for _, code, _, _ in _say_calls(src)}
    assert set(labels.STAFF) - used == set()


def test_the_say_checker_flags_wrong_calls() -> None:
    registry = {"saluto": "Buongiorno {name}."}
    crafted = (
        'labels.say("saluto", name="x")\nlabels.say("saluto")\nlabels.say("addio", name="x")\n'
        'labels.say("saluto", **data)\nsay("addio")  # another say, not the labels\' one\n'
    )
    assert say_problems(crafted, registry) == [
        "2: 'saluto' needs ['name'], gets []",
        "3: 'addio' is not registered",
    ]


def test_say_fills_placeholders() -> None:
    assert labels.say("unito_a", into="E-0002") == "Unito a E-0002"
    with pytest.raises(KeyError):
        labels.say("unito_a")
