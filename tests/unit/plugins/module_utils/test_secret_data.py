# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.apply carries the Secrets' values apart from its components (module_utils/secret_data.py)."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.secret_data import join, split

SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}}
PLAIN = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "plain"}, "stringData": {"user": "admin"}}
CONFIG = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "db"}, "data": {"password": "not secret"}}
COMPONENTS = [
    {"name": "namespace", "objects": [CONFIG]},
    {"name": "secrets", "objects": [CONFIG, SECRET, PLAIN], "namespace": "bot-core"},
]


def test_split_moves_the_values_of_secrets_only_and_join_puts_them_back():
    given = copy.deepcopy(COMPONENTS)
    stripped, values = split(given)
    assert values == {"1/1": {"data": SECRET["data"]}, "1/2": {"stringData": PLAIN["stringData"]}}
    assert stripped[1]["objects"][1] == {k: v for k, v in SECRET.items() if k != "data"}
    assert stripped[1]["objects"][0] == CONFIG and stripped[0] == COMPONENTS[0]
    assert "aHVudGVyMg==" not in repr(stripped)
    assert given == COMPONENTS  # the input is not changed
    assert join(stripped, values) == COMPONENTS


def test_without_secrets_nothing_moves():
    assert split([{"name": "namespace", "objects": [CONFIG]}]) == ([{"name": "namespace", "objects": [CONFIG]}], {})
    assert join([{"name": "namespace", "objects": [CONFIG]}], {}) == [{"name": "namespace", "objects": [CONFIG]}]


def test_what_is_not_a_list_of_objects_is_left_for_the_argument_spec():
    bad = ["not a component", {"name": "x", "objects": "not a list"}]
    assert split(bad) == (bad, {})


@pytest.mark.parametrize("key", ["1/0", "0/1", "2/0"])
def test_join_refuses_values_that_match_no_secret(key):
    stripped, _values = split(copy.deepcopy(COMPONENTS))
    with pytest.raises(ValueError, match=f"no Secret of components at {key}$"):
        join(stripped, {key: {"data": {"a": "Yg=="}}})
