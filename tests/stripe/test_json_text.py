"""The depth scan that guards the JSON parser: it must agree with the parser on valid JSON, count
no bracket inside a string, and never recurse."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaultra.stripe.json_text import InvalidJson, load_json, nesting_depth

# Strings full of what could confuse a scan: brackets, quotes, backslashes, escapes.
TRICKY_TEXT = st.text(st.sampled_from('[]{}"\\/ u0a\x00\ud800é'), max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(TRICKY_TEXT, children, max_size=3)
    ),
    max_leaves=20,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=VALUES, ensure_ascii=st.booleans())
def test_scan_agrees_with_the_parsed_depth(value: Any, ensure_ascii: bool) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    assert nesting_depth(text) == depth_of(value)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("", 0),
        ("7", 0),
        ('"[[[["', 0),
        ('{"a]": "}}{{"}', 1),
        ('["\\"[[", ["\\\\"]]', 2),
        ("[[[", 3),  # not JSON, but the parser would meet three levels before finding out
    ],
)
def test_brackets_inside_strings_do_not_count(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_nesting_too_deep_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidJson, match="nests 100000 levels deep, expected at most 64"):
        load_json("[" * 100_000 + "]" * 100_000, max_depth=64)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_refused(literal: str) -> None:
    with pytest.raises(InvalidJson, match=f"`{literal}` is not a JSON number"):
        load_json(f'{{"amount": {literal}}}', max_depth=64)


def test_text_that_is_not_json_is_refused_with_the_parsers_reason() -> None:
    with pytest.raises(InvalidJson, match="is not JSON: Expecting value"):
        load_json('{"a": }', max_depth=64)


def test_parsing_leaves_the_cycle_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    load_json("[[], {}]", max_depth=64)
    assert gc.isenabled()
    with pytest.raises(InvalidJson):
        load_json("[NaN]", max_depth=64)
    assert gc.isenabled()
    gc.disable()
    try:
        load_json("[]", max_depth=64)
        assert not gc.isenabled()
    finally:
        gc.enable()
