# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import math
import tomllib

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.config import FilterModule, redact_secrets, to_toml

SPEC_CONFIG = {
    "binance": {
        "testnet": True,
        "base_url": "https://testnet.binance.vision",
        "ws_url": "wss://stream.testnet.binance.vision",
    },
    "market_data": {
        "symbols": ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"],
        "timeframes": ["1m", "5m", "15m", "1h", "4h"],
        "kline_limit": 100,
        "update_interval_ms": 100,
    },
    "trading": {"enabled": False, "max_positions": 3, "default_quantity": 0.01, "risk_percentage": 2.0},
    "api": {"host": "0.0.0.0", "port": 8080, "cors_origins": ["*"], "enable_metrics": True},
}


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {"to_toml": to_toml, "redact_secrets": redact_secrets}


def test_to_toml_spec_config_round_trips():
    assert tomllib.loads(to_toml(SPEC_CONFIG)) == SPEC_CONFIG


def test_to_toml_spec_config_layout():
    assert to_toml(SPEC_CONFIG) == (
        "[binance]\n"
        "testnet = true\n"
        'base_url = "https://testnet.binance.vision"\n'
        'ws_url = "wss://stream.testnet.binance.vision"\n'
        "\n"
        "[market_data]\n"
        'symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"]\n'
        'timeframes = ["1m", "5m", "15m", "1h", "4h"]\n'
        "kline_limit = 100\n"
        "update_interval_ms = 100\n"
        "\n"
        "[trading]\n"
        "enabled = false\n"
        "max_positions = 3\n"
        "default_quantity = 0.01\n"
        "risk_percentage = 2.0\n"
        "\n"
        "[api]\n"
        'host = "0.0.0.0"\n'
        "port = 8080\n"
        'cors_origins = ["*"]\n'
        "enable_metrics = true\n"
    )


def test_to_toml_scalars_before_tables_and_dotted_headers():
    data = {"service": {"name": "engine", "limits": {"cpu": 2, "deep": {"x": 1}}, "port": 1}, "debug": False}
    assert to_toml(data) == (
        "debug = false\n"
        "\n"
        "[service]\n"
        'name = "engine"\n'
        "port = 1\n"
        "\n"
        "[service.limits]\n"
        "cpu = 2\n"
        "\n"
        "[service.limits.deep]\n"
        "x = 1\n"
    )
    assert tomllib.loads(to_toml(data)) == data


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"empty": {}},
        {"a": {"b": {}}, "c": 1},
        {"quote": 'say "hi"', "backslash": "C:\\path\\", "newline": "a\nb", "tab": "a\tb", "cr": "a\rb"},
        {"control": "\x00\x01\x08\x0c\x1f\x7f", "unicode": "é ü — 日本 🚀", "empty": ""},
        {"key with spaces": 1, "dotted.key": 2, "ünïcode": 3, 'qu"ote': 4, "": 5, "ok_key-1": 6},
        {"t": {"key with spaces": {"x": 1}, "a.b": {"y": 2}}},
        {"ints": [0, -1, 2**62], "floats": [0.1, -2.5, 1e300, 1e-7, 0.0], "bools": [True, False]},
        {"nested": [[1, 2], ["a", "b"], []], "empty": []},
        {"tuple": ("a", "b")},
        {"big": 12345678901234567890},
    ],
)
def test_to_toml_round_trips(data):
    expected = copy.deepcopy(data)
    expected.update({k: list(v) for k, v in data.items() if isinstance(v, tuple)})
    assert tomllib.loads(to_toml(data)) == expected


def test_to_toml_escapes_strings():
    assert to_toml({"s": 'a"b\\c\nd\te\x01f\x7f'}) == 's = "a\\"b\\\\c\\nd\\te\\u0001f\\u007F"\n'


def test_to_toml_quotes_keys_that_are_not_bare():
    assert to_toml({"a b": 1, "a.b": {"c": 2}}) == '"a b" = 1\n\n["a.b"]\nc = 2\n'


def test_to_toml_special_floats():
    loaded = tomllib.loads(to_toml({"nan": math.nan, "inf": math.inf, "ninf": -math.inf}))
    assert math.isnan(loaded["nan"])
    assert loaded["inf"] == math.inf
    assert loaded["ninf"] == -math.inf


def test_to_toml_empty_dict_is_empty_document():
    assert to_toml({}) == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "to_toml: expected a dict, got NoneType"),
        ([1], "to_toml: expected a dict, got list"),
        ("a = 1", "to_toml: expected a dict, got str"),
        ({"x": None}, "to_toml: x: NoneType values cannot be written as TOML"),
        ({"trading": {"stop": None}}, "to_toml: trading.stop: NoneType values cannot be written as TOML"),
        ({"servers": [{"host": "a"}]}, "to_toml: servers[0]: dict values cannot be written as TOML"),
        ({"a": {"b": [1, [2, None]]}}, "to_toml: a.b[1][1]: NoneType values cannot be written as TOML"),
        ({"raw": b"bytes"}, "to_toml: raw: bytes values cannot be written as TOML"),
        ({"s": {1, 2}}, "to_toml: s: set values cannot be written as TOML"),
        ({1: "x"}, "to_toml: data: key 1 must be a string"),
        ({"t": {("a",): "x"}}, "to_toml: t: key ('a',) must be a string"),
    ],
)
def test_to_toml_rejects(data, message):
    with pytest.raises(AnsibleFilterError) as info:
        to_toml(data)
    assert str(info.value) == message


SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "binance", "namespace": "botcore", "annotations": {"team": "core"}},
    "type": "Opaque",
    "data": {"api_key": "c2VjcmV0", "api_secret": "dG9wc2VjcmV0"},
    "stringData": {"password": "hunter2"},
}
CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"config.toml": "x = 1"}}


def test_redact_secrets():
    objects = [SECRET, CONFIG_MAP]
    original = copy.deepcopy(objects)
    result = redact_secrets(objects)
    assert result == [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "binance",
                "namespace": "botcore",
                "annotations": {"team": "core", "botcore.io/redacted": "true"},
            },
            "type": "Opaque",
            "data": {"api_key": "REDACTED", "api_secret": "REDACTED"},
            "stringData": {"password": "REDACTED"},
        },
        CONFIG_MAP,
    ]
    # Input untouched and nothing shared with the result.
    assert objects == original
    assert result[1] is not CONFIG_MAP
    assert result[1]["data"] is not CONFIG_MAP["data"]


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        (
            {"kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "v"}},
            {
                "kind": "Secret",
                "metadata": {"name": "s", "annotations": {"botcore.io/redacted": "true"}},
                "data": {"k": "REDACTED"},
            },
        ),
        (
            {"kind": "Secret", "stringData": {"k": "v"}},
            {
                "kind": "Secret",
                "metadata": {"annotations": {"botcore.io/redacted": "true"}},
                "stringData": {"k": "REDACTED"},
            },
        ),
        (
            {"kind": "Secret", "metadata": None, "data": None},
            {"kind": "Secret", "metadata": {"annotations": {"botcore.io/redacted": "true"}}, "data": None},
        ),
        (
            {"kind": "Secret", "metadata": {"annotations": None}, "data": {}},
            {"kind": "Secret", "metadata": {"annotations": {"botcore.io/redacted": "true"}}, "data": {}},
        ),
    ],
)
def test_redact_secrets_shapes(secret, expected):
    assert redact_secrets([secret]) == [expected]


@pytest.mark.parametrize("other", [CONFIG_MAP, {"kind": "secret", "data": {"k": "v"}}, {"data": {"k": "v"}}, {}])
def test_redact_secrets_leaves_other_objects(other):
    assert redact_secrets([other]) == [other]


def test_redact_secrets_empty_list():
    assert redact_secrets([]) == []


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        (None, "redact_secrets: expected a list of Kubernetes objects, got NoneType"),
        (SECRET, "redact_secrets: expected a list of Kubernetes objects, got dict"),
        ("kind: Secret", "redact_secrets: expected a list of Kubernetes objects, got str"),
        ([CONFIG_MAP, "hunter2"], "redact_secrets: objects[1] must be a dict, got str"),
        ([{"kind": "Secret", "data": ["hunter2"]}], "redact_secrets: objects[0].data must be a dict, got list"),
        (
            [{"kind": "Secret", "stringData": "hunter2"}],
            "redact_secrets: objects[0].stringData must be a dict, got str",
        ),
        ([{"kind": "Secret", "metadata": "m"}], "redact_secrets: objects[0].metadata must be a dict, got str"),
        (
            [{"kind": "Secret", "metadata": {"annotations": ["a"]}}],
            "redact_secrets: objects[0].metadata.annotations must be a dict, got list",
        ),
    ],
)
def test_redact_secrets_rejects(objects, message):
    with pytest.raises(AnsibleFilterError) as info:
        redact_secrets(objects)
    assert str(info.value) == message
    assert "hunter2" not in str(info.value)
