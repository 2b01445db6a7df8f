# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.botcore.platform.plugins.filter.labels import FilterModule, label_errors


def test_filter_module_exposes_label_errors():
    assert FilterModule().filters() == {"label_errors": label_errors}


def test_the_platforms_labels_pass():
    labels = {
        "app.kubernetes.io/part-of": "bot-core",
        "app.kubernetes.io/managed-by": "botcore.platform",
        "environment": "production",
        "empty": "",
        "Tier_2": "v1.0.0",
    }
    assert label_errors(labels, "platform_labels") == []


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"team": "trading desk"}, "platform_labels.team: 'trading desk' is not a label value"),
        ({"team": "-ops"}, "platform_labels.team: '-ops' is not a label value"),
        ({"team": "x" * 64}, "platform_labels.team: 'xxxxx"),
        ({"version": 1.0}, "platform_labels.version: must be a string, got 1.0; quote it in YAML"),
        ({"bad key": "a"}, "platform_labels: the key 'bad key' is not a label name"),
        (
            {"Example.com/team": "a"},
            "platform_labels: the key 'Example.com/team' has a prefix that is not a DNS subdomain",
        ),
        ({"example.com/": "a"}, "platform_labels: the key 'example.com/' is not a label name"),
    ],
)
def test_what_the_api_server_refuses_is_refused_naming_the_variable(labels, message):
    errors = label_errors(labels, "platform_labels")
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_not_a_dict_is_refused():
    assert label_errors(["a"], "namespace_labels") == [
        "namespace_labels: must be a dict of label keys to values, got ['a']"
    ]
