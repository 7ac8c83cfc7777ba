"""The one text rule: display text comes out safe and stable, ids with controls are refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from infra.contract.text import (
    FORBIDDEN_CLASS,
    identifier,
    identifier_pattern,
    identifier_problem,
    normalise_text,
    safe_text,
)

FORBIDDEN = re.compile(f"[{FORBIDDEN_CLASS}]")
TRICKY = [
    *map(chr, range(0x20)),
    *"\x7f\x85\x9b\u00a0\u2028\u2029\u202a\u202e\u2066\u2069",
    *"\u200b\ufeff aé😀",
]
texts = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=60)
"""Any text, with control, bidi and whitespace characters far more common than by chance."""

NAME = TypeAdapter(safe_text(10, min_length=1, blank=False))
EXTERNAL_ID = TypeAdapter(identifier(10))
SOURCE = TypeAdapter(identifier(10, spaces=False))


@given(texts)
def test_normalised_text_holds_no_forbidden_character_and_no_stray_whitespace(value):
    clean = normalise_text(value)
    assert FORBIDDEN.search(clean) is None
    assert all(c == " " or not c.isspace() for c in clean)
    assert "  " not in clean
    assert clean == clean.strip()


@given(texts)
def test_normalising_twice_is_normalising_once(value):
    once = normalise_text(value)
    assert normalise_text(once) == once


@given(texts)
def test_normalising_keeps_every_visible_character_in_order(value):
    visible = [c for c in value if not c.isspace() and FORBIDDEN.match(c) is None]
    assert [c for c in normalise_text(value) if c != " "] == visible


@given(texts)
def test_the_published_identifier_pattern_accepts_exactly_what_the_check_accepts(value):
    for spaces in (True, False):
        matches = re.fullmatch(identifier_pattern(spaces), value) is not None
        assert matches == (identifier_problem(value, spaces) is None)


@given(texts.filter(lambda v: 0 < len(v) <= 10))
def test_an_accepted_identifier_is_never_rewritten(value):
    try:
        accepted = EXTERNAL_ID.validate_python(value)
    except ValidationError:
        # refused by our rule, or by pydantic itself for a lone surrogate (module docstring)
        surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        assert identifier_problem(value) is not None or surrogate
    else:
        assert accepted == value


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Founders\u0000 circle", "Founders circle"),
        ("Founders\r\ncircle", "Founders circle"),
        ("  Founders\t\t circle  ", "Founders circle"),
        ("Found\u202eers\u2066 circle\u2069", "Founders circle"),
        ("Founders\u2028circle\x85", "Founders circle"),
    ],
)
def test_display_text_loses_controls_and_bidi_overrides_and_keeps_single_spaces(sent, kept):
    assert normalise_text(sent) == kept


def test_a_required_text_of_nothing_but_controls_and_spaces_is_refused():
    with pytest.raises(ValidationError, match="visible text"):
        NAME.validate_python("\x00 \r\n\u202e")


def test_text_length_is_checked_on_what_was_sent():
    assert NAME.validate_python("ab  " + "\x00" * 6) == "ab"
    with pytest.raises(ValidationError, match="at most 10"):
        NAME.validate_python("ab" + "\x00" * 9)


@pytest.mark.parametrize(
    ("sent", "problem"),
    [
        ("g\x001", "control character U+0000 at position 1"),
        ("g1\r\n", "control character U+000D at position 2"),
        ("g\x7f", "control character U+007F"),
        ("g\x9b", "control character U+009B"),
        ("\u202eg1", "bidi control character U+202E at position 0"),
        ("   ", "only whitespace"),
    ],
)
def test_an_identifier_with_a_control_or_bidi_character_is_refused_naming_it(sent, problem):
    with pytest.raises(ValidationError, match=re.escape(problem)):
        EXTERNAL_ID.validate_python(sent)


def test_an_identifier_may_hold_inner_spaces_unless_it_names_a_source():
    assert EXTERNAL_ID.validate_python("Group A") == "Group A"
    with pytest.raises(ValidationError, match="whitespace character U\\+0020"):
        SOURCE.validate_python("lms site")


@pytest.mark.parametrize("adapter", [NAME, EXTERNAL_ID], ids=["text", "identifier"])
def test_lone_surrogates_are_refused_in_json_and_in_python(adapter):
    with pytest.raises(ValidationError):
        adapter.validate_json(b'"a\\ud800"')
    with pytest.raises(ValidationError):
        adapter.validate_python("a\ud800")


def test_identifiers_publish_their_rule_in_the_json_schema():
    assert EXTERNAL_ID.json_schema()["pattern"] == identifier_pattern()
    assert SOURCE.json_schema()["pattern"] == identifier_pattern(spaces=False)
