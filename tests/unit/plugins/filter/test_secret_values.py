# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.secret_values import (
    FilterModule,
    external_key_errors,
    secret_values,
    secret_writes,
)

CORE = "bot-core-secrets"
KEYS = [
    {"secret": CORE, "key": "inter-service-token", "var": "secrets_inter_service_token"},
    {"secret": CORE, "key": "rust-api-key", "var": "secrets_rust_api_key"},
    {"secret": "binance-secrets", "key": "api-key", "var": "secrets_binance_api_key", "external": True},
    {"secret": "mongodb-keyfile", "key": "keyfile", "var": "secrets_mongodb_keyfile", "length": 756},
]
NOTHING = {entry["var"]: "" for entry in KEYS}


def b64(text):
    return base64.b64encode(text.encode()).decode()


EXISTING = {CORE: {"inter-service-token": b64("kept-token"), "rust-api-key": b64("kept-rust")}}


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "secret_values": secret_values,
        "secret_writes": secret_writes,
        "external_key_errors": external_key_errors,
    }


def test_a_provided_value_wins_over_the_cluster():
    values = secret_values(KEYS, {**NOTHING, "secrets_rust_api_key": "from-vault"}, EXISTING)
    assert values[CORE]["rust-api-key"] == "from-vault"


def test_the_cluster_value_is_kept_when_none_is_provided():
    assert secret_values(KEYS, NOTHING, EXISTING)[CORE] == {
        "inter-service-token": "kept-token",
        "rust-api-key": "kept-rust",
    }


def test_a_missing_value_is_generated_of_its_length_and_alphabet():
    values = secret_values(KEYS, NOTHING, {}, length=40)
    assert re.fullmatch(r"[A-Za-z0-9]{40}", values[CORE]["inter-service-token"])
    assert re.fullmatch(r"[A-Za-z0-9]{756}", values["mongodb-keyfile"]["keyfile"])
    assert (
        values[CORE]["inter-service-token"] != secret_values(KEYS, NOTHING, {}, length=40)[CORE]["inter-service-token"]
    )


def test_a_generated_external_key_carries_the_placeholder():
    values = secret_values(KEYS, NOTHING, {}, placeholder="staging-placeholder-")
    assert values["binance-secrets"]["api-key"].startswith("staging-placeholder-")
    assert not values[CORE]["rust-api-key"].startswith("staging-placeholder-")


def test_a_rotated_key_gets_a_new_value_and_the_others_keep_theirs():
    values = secret_values(KEYS, NOTHING, EXISTING, ["rust-api-key"], CORE)
    assert values[CORE]["inter-service-token"] == "kept-token"
    assert values[CORE]["rust-api-key"] not in ("kept-rust", "")


def test_rotation_of_another_secret_keeps_the_value():
    assert secret_values(KEYS, NOTHING, EXISTING, ["rust-api-key"], "other")[CORE]["rust-api-key"] == "kept-rust"


def test_a_provided_value_wins_over_rotation():
    values = secret_values(KEYS, {**NOTHING, "secrets_rust_api_key": "from-vault"}, EXISTING, ["rust-api-key"], CORE)
    assert values[CORE]["rust-api-key"] == "from-vault"


def test_render_mode_generates_nothing():
    values = secret_values(KEYS, NOTHING, {}, stand_in="generated-when-applied")
    assert {value for secret in values.values() for value in secret.values()} == {"generated-when-applied"}


def test_a_cluster_value_that_is_not_base64_fails_without_showing_it():
    with pytest.raises(AnsibleFilterError, match=r"bot-core-secrets/rust-api-key in the cluster is not base64 text"):
        secret_values(KEYS, NOTHING, {CORE: {"rust-api-key": "not*base64"}})


@pytest.mark.parametrize(("keys", "provided", "existing"), [("x", {}, {}), (KEYS, [], {}), (KEYS, {}, None)])
def test_wrong_shapes_fail(keys, provided, existing):
    with pytest.raises(AnsibleFilterError):
        secret_values(keys, provided, existing)


def test_only_generated_and_rotated_values_are_written_create_only_and_replaced():
    provided = {**NOTHING, "secrets_rust_api_key": "from-vault"}
    existing = {CORE: {"inter-service-token": b64("kept-token")}}
    values = secret_values(KEYS, provided, existing, ["inter-service-token"], CORE)
    writes = secret_writes(
        values, KEYS, provided, existing, ["inter-service-token"], CORE, {"mongodb-keyfile": "db"}, "ns"
    )
    assert writes == [
        {
            "name": CORE,
            "namespace": "ns",
            "create": {},
            "replace": {"inter-service-token": values[CORE]["inter-service-token"]},
        },
        {
            "name": "binance-secrets",
            "namespace": "ns",
            "create": {"api-key": values["binance-secrets"]["api-key"]},
            "replace": {},
        },
        {
            "name": "mongodb-keyfile",
            "namespace": "db",
            "create": {"keyfile": values["mongodb-keyfile"]["keyfile"]},
            "replace": {},
        },
    ]


def test_nothing_is_written_when_every_value_is_provided_or_kept():
    provided = {**NOTHING, "secrets_binance_api_key": "b", "secrets_mongodb_keyfile": "k"}
    values = secret_values(KEYS, provided, EXISTING)
    assert secret_writes(values, KEYS, provided, EXISTING) == []


def test_values_read_back_after_the_write_are_kept_not_generated_again():
    """deploy chooses again from the values the create-only write returned: each is the cluster's, none is new."""
    won = {
        CORE: {"inter-service-token": b64("won"), "rust-api-key": b64("won-too")},
        "binance-secrets": {"api-key": b64("won-key")},
        "mongodb-keyfile": {"keyfile": b64("won-file")},
    }
    values = secret_values(KEYS, NOTHING, won)
    assert values == {
        CORE: {"inter-service-token": "won", "rust-api-key": "won-too"},
        "binance-secrets": {"api-key": "won-key"},
        "mongodb-keyfile": {"keyfile": "won-file"},
    }
    assert secret_writes(values, KEYS, NOTHING, won) == []


EXTERNAL = {
    "secrets_binance_api_key": "aB3dE5gH7jK9mN1pQ3sT5vX7",
    "secrets_openai_api_key": "sk-proj-4f9Kq2Lm8Zt1Xw6Rb3",
}


def test_real_looking_external_keys_pass_in_production():
    assert external_key_errors(EXTERNAL, "production") == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "required in production"),
        ("   ", "required in production"),
        (None, "required in production"),
        ("YOUR_BINANCE_API_KEY", "is a placeholder"),
        ("GENERATED_API_KEY_HERE", "is a placeholder"),
        ("changeme-changeme-changeme", "is a placeholder"),
        ("production-placeholder-aB3dE5gH7jK9", "is a placeholder"),
        ("aB3dE5gH7j K9mN1pQ3sT5", "contains whitespace"),
        ("aB3dE5gH7jK9", "is shorter than 16 characters (secrets_external_key_min_length)"),
    ],
)
def test_an_external_key_production_cannot_run_with_is_named_not_shown(value, problem):
    errors = external_key_errors({**EXTERNAL, "secrets_binance_api_key": value}, "production")
    assert len(errors) == 1 and errors[0].startswith(f"secrets_binance_api_key: {problem}")
    assert value is None or not value.strip() or value not in errors[0]


def test_the_minimum_length_is_a_setting_and_other_environments_take_anything():
    assert external_key_errors(EXTERNAL, "production", minimum=30) == [
        "secrets_binance_api_key: is shorter than 30 characters (secrets_external_key_min_length), so not a real key",
        "secrets_openai_api_key: is shorter than 30 characters (secrets_external_key_min_length), so not a real key",
    ]
    assert external_key_errors({"secrets_binance_api_key": ""}, "staging") == []
