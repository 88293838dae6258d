"""Text folding for comparison: the one place that says when two spellings are "the same".  Pure.

    fold("  L’Àncora –  Onlus ")        → "l'ancora - onlus"     accents, case, quotes, dashes, spaces
    fold_alnum("Via Roma, 3/b")         → "via roma 3 b"         … and every other character a separator
    fold_alnum("l'ancora", joiner="")   → "lancora"              … or dropped

Every stage that compares what people typed (headers, checkboxes, verbs, comuni, names, calendar rows,
test markers) folds through here, so a spelling accepted in one place is accepted in all.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# typographic quotes, primes and dashes as their ASCII selves (the forms and the spreadsheets mix them)
_PUNCTUATION = str.maketrans(
    {c: "'" for c in "’‘`´′"} | {c: '"' for c in "«»“”„″"} | {c: "-" for c in "–—‒―"}
)


def plain(text: str) -> str:
    """NFKC, ASCII quotes and dashes, no accents; plain ASCII is returned as it is (the common case)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=1024)  # stages fold the same value one after the other: a row's name, a form's answer
def fold(text: str) -> str:
    """`plain`, casefolded, runs of white space as one space, stripped."""
    return " ".join(plain(text).casefold().split())  # str.split's white space is re's \s


@lru_cache(maxsize=64)
def _not_kept(keep: str) -> re.Pattern[str]:
    return re.compile(f"[^a-z0-9{re.escape(keep)}]+")


def fold_alnum(text: str, *, keep: str = "", joiner: str = " ") -> str:
    """`fold`, then every run of characters other than a-z, 0-9 and `keep` replaced by `joiner`, stripped."""
    return _not_kept(keep).sub(joiner, fold(text)).strip()


def name_sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order as people expect it: accents, case and quotes ignored (ties by the name itself)."""
    return (fold_alnum(name, keep=" ", joiner=""), name)
