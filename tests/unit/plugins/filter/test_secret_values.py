# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.secret_values import FilterModule, secret_values

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
    assert FilterModule().filters() == {"secret_values": secret_values}


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
