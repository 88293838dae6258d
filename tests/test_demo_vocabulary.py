"""The demo's Italian vocabulary is data (`sheets_templates/demo/vocabulary.yaml`), read once, explicitly.

`load_vocabulary()` is the only reader; `generate` and `demo_extras` take the vocabulary and read nothing.
"""

from __future__ import annotations

import builtins
from importlib.resources import files
from typing import Any

import pydantic
import pytest
import yaml

from sync.config import load_settings
from sync.demo_data import demo_extras, generate, load_vocabulary, parse_vocabulary, to_csv_text


def _data() -> dict[str, Any]:
    text = files("sheets_templates").joinpath("demo", "vocabulary.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_the_packaged_vocabulary_holds_every_legal_form_the_generator_draws() -> None:
    v = load_vocabulary()
    assert set(v.legal_forms) == {
        "odv",
        "aps",
        "coop",
        "asd",
        "fondazione",
        "ets",
        "nonric",
        "impresa",
        "rete",
    }
    assert v.legal_forms["coop"].company and not v.legal_forms["odv"].company
    assert v.nearby["CR"][0] == ("Cremona", "CR", "019")  # an ISTAT code stays text, leading zero kept
    assert load_vocabulary() is v  # read once per process


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"nomi": ["Andrea"]}, "nomi"),  # an unknown key (a typo) is refused, not ignored
        ({"first_names": "Andrea"}, "first_names"),
        ({"legal_forms": {"odv": {"label": "ODV"}}}, "legal_forms.odv.suffixes"),
    ],
)
def test_a_wrong_entry_is_refused_with_its_place(change: dict[str, Any], where: str) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        parse_vocabulary({**_data(), **change})
    assert where in str(err.value)


def test_generating_reads_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    ambito, vocabulary = load_settings("cernusco").ambito, load_vocabulary()
    expected = to_csv_text(generate(ambito, 30, vocabulary=vocabulary, seed=2))

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the generator opened a file: {args!r}")

    monkeypatch.setattr(builtins, "open", refused)
    monkeypatch.setattr("pathlib.Path.read_text", refused)
    monkeypatch.setattr("pathlib.Path.open", refused)
    assert to_csv_text(generate(ambito, 30, vocabulary=vocabulary, seed=2)) == expected
    assert demo_extras(ambito, vocabulary=vocabulary, seed=2).manual_rows
