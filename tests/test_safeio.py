"""Bounded reading of untrusted JSON: nesting and integer length limits, exactly at their edges."""
import json

import pytest

from graphscope.interop.safeio import MAX_INT_DIGITS, MAX_JSON_DEPTH, UnsafeFile, parse_json


def nested(depth):
    return b"[" * depth + b"]" * depth


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_refused():
    doc = parse_json(nested(MAX_JSON_DEPTH), "graph.json")
    for _ in range(MAX_JSON_DEPTH - 1):
        (doc,) = doc
    assert doc == []
    with pytest.raises(UnsafeFile, match=rf"graph\.json nests lists and objects more than {MAX_JSON_DEPTH} deep"):
        parse_json(nested(MAX_JSON_DEPTH + 1), "graph.json")
    deep_object = b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(UnsafeFile, match="more than 64 deep"):
        parse_json(b'{"nodes": [1, "x", {"k": ' + deep_object + b"}]}", "graph.json")


def test_integers_up_to_the_limit_are_read_and_longer_ones_refused():
    longest = int("9" * MAX_INT_DIGITS)
    assert parse_json(json.dumps({"id": longest, "neg": -longest}).encode(), "graph.json") == \
        {"id": longest, "neg": -longest}
    with pytest.raises(UnsafeFile, match=rf"holds an integer with {MAX_INT_DIGITS + 1} digits; graph files hold "
                                         rf"no integer longer than {MAX_INT_DIGITS} digits"):
        parse_json(b'{"ids": [1, 2, -' + b"7" * (MAX_INT_DIGITS + 1) + b"]}", "graph.json")
    with pytest.raises(UnsafeFile, match=r"an integer with 41 digits; checkpoints hold no integer longer than 40"):
        parse_json(b"[" + b"1" * 41 + b"]", "it", max_int_digits=40, kind="checkpoints")


def test_long_digit_runs_in_strings_and_floats_are_not_integers():
    raw = json.dumps({"name": "w" + "1" * 80, "value": 0.1234567890123456789012345678901234567890}).encode()
    assert parse_json(raw, "graph.json")["name"] == "w" + "1" * 80
    raw = b'{"value": 1' + b"0" * 40 + b'.5, "line": 3}'
    assert parse_json(raw, "graph.json") == {"value": 1e40 + 0.5, "line": 3}
