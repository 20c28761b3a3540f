"""Canonical JSON (appendix: signing JSON / canonical JSON) and the value checks that keep content canonical."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chancery.errors import MatrixError
from chancery.events.canonical import MAX_SAFE_INTEGER, canonical_json, check_canonical_values

# (input as the appendix writes it, expected canonical output) — the appendix's "Examples" list.
APPENDIX_EXAMPLES = [
    ("{}", "{}"),
    ('{"one": 1, "two": "Two"}', '{"one":1,"two":"Two"}'),
    ('{"b": "2", "a": "1"}', '{"a":"1","b":"2"}'),
    ('{"b":"2","a":"1"}', '{"a":"1","b":"2"}'),
    (
        """{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe",
        "three_pids": [{"medium": "email", "address": "john.doe@example.org"},
                       {"medium": "msisdn", "address": "123456789"}]}}}""",
        '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":'
        '[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},'
        '"success":true}}',
    ),
    ('{"a": "日本語"}', '{"a":"日本語"}'),
    ('{"本": 2, "日": 1}', '{"日":1,"本":2}'),
    ('{"a": "\\u65E5"}', '{"a":"日"}'),
    ('{"a": null}', '{"a":null}'),
]


@pytest.mark.parametrize(("source", "expected"), APPENDIX_EXAMPLES)
def test_appendix_examples(source: str, expected: str) -> None:
    assert canonical_json(json.loads(source)) == expected.encode("utf-8")


def test_negative_zero_and_exponent_example() -> None:
    """Appendix: `{"a": -0, "b": 1e10}` encodes as `{"a":0,"b":10000000000}`.

    JSON `-0` parses to the integer 0. `1e10` parses to a Python float, which event content refuses
    (floats are "not permitted by this encoding"), so the known answer is checked on the integer value.
    """
    assert canonical_json({"a": json.loads("-0"), "b": 10**10}) == b'{"a":0,"b":10000000000}'
    with pytest.raises(MatrixError):
        check_canonical_values(json.loads('{"a": -0, "b": 1e10}'))


def test_control_characters_and_escapes() -> None:
    # Grammar: only `"` and `\` and control characters are escaped; \b \t \n \f \r use their short forms.
    assert canonical_json({"a": '\b\t\n\f\r"\\'}) == b'{"a":"\\b\\t\\n\\f\\r\\"\\\\"}'
    assert canonical_json({"a": "\x01\x1f"}) == b'{"a":"\\u0001\\u001f"}'
    assert canonical_json({"a": "/"}) == b'{"a":"/"}'


def test_keys_sort_by_codepoint() -> None:
    assert canonical_json({"b": 1, "B": 2, "a": 3, "é": 4}) == '{"B":2,"a":3,"b":1,"é":4}'.encode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({}, id="empty"),
        pytest.param({"n": MAX_SAFE_INTEGER}, id="max-safe"),
        pytest.param({"n": -MAX_SAFE_INTEGER}, id="min-safe"),
        pytest.param({"n": 0, "t": True, "f": False, "z": None, "s": "x"}, id="scalars"),
        pytest.param({"deep": [{"list": [1, 2, [MAX_SAFE_INTEGER]]}]}, id="nested-edge"),
    ],
)
def test_check_accepts_canonical_values(value: Any) -> None:
    check_canonical_values(value)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        pytest.param({"n": 1.5}, "content.n", id="float"),
        pytest.param({"n": 1.0}, "content.n", id="integral-float"),
        pytest.param({"n": MAX_SAFE_INTEGER + 1}, "content.n", id="above-max"),
        pytest.param({"n": -MAX_SAFE_INTEGER - 1}, "content.n", id="below-min"),
        pytest.param({"a": {"b": [0, {"c": 2**63}]}}, "content.a.b[1].c", id="deep-int"),
        pytest.param({"a": [[0.25]]}, "content.a[0][0]", id="deep-float"),
        pytest.param({"ok": 1, "bad": {"x": float("nan")}}, "content.bad.x", id="nan"),
    ],
)
def test_check_rejects_non_canonical_values_with_path(value: Any, path: str) -> None:
    with pytest.raises(MatrixError) as raised:
        check_canonical_values(value)
    assert raised.value.errcode == "M_BAD_JSON"
    assert raised.value.status == 400
    assert raised.value.error.startswith(path + ":")


def test_check_reports_caller_supplied_root() -> None:
    with pytest.raises(MatrixError) as raised:
        check_canonical_values({"x": 0.5}, path="account_data")
    assert raised.value.error.startswith("account_data.x:")


def test_check_rejects_non_json_values() -> None:
    with pytest.raises(MatrixError) as raised:
        check_canonical_values({"x": object()})
    assert raised.value.errcode == "M_BAD_JSON"


def _reference(value: Any) -> bytes:
    from canonicaljson import encode_canonical_json

    return bytes(encode_canonical_json(value))


def test_same_bytes_as_the_reference_encoder_for_every_code_point() -> None:
    for code_point in [*range(0xD800), *range(0xE000, 0x110000, 7)]:
        character = chr(code_point)
        value = {"key" + character: character, character: [character]}
        assert canonical_json(value) == _reference(value), hex(code_point)


def test_same_bytes_as_the_reference_encoder_for_random_documents() -> None:
    import random

    rng = random.Random(20261129)

    def text() -> str:
        ranges = [(0, 0x7F), (0x80, 0xD7FF), (0xE000, 0x10FFFF)]
        return "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 6)))

    def document(depth: int = 0) -> Any:
        roll = rng.random()
        if depth > 3 or roll < 0.3:
            return rng.choice([rng.randint(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER), text(), True, False, None])
        if roll < 0.65:
            return [document(depth + 1) for _ in range(rng.randint(0, 4))]
        return {text(): document(depth + 1) for _ in range(rng.randint(0, 5))}

    for _ in range(5000):
        value = document()
        assert canonical_json(value) == _reference(value)


def test_values_orjson_refuses_still_encode() -> None:
    huge = 2**70  # refused by events long before, but the encoder itself must not fail differently
    assert canonical_json({"n": huge}) == _reference({"n": huge})
