# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""managed_fields: the field set of a desired object, the owners in managedFields, and the drift between them.

The managedFields below are the shapes the API server records (kube-apiserver v1.37): an apply by the collection,
then an update by ``kubectl scale`` (subresource scale), ``kubectl label`` and ``kubectl edit``.
"""

from __future__ import annotations

import copy

import pytest
from ansible_collections.botcore.platform.plugins.module_utils import managed_fields as mf

OURS = "botcore-platform"
CONTAINER = 'k:{"name":"app"}'
PORT = 'k:{"containerPort":8080,"protocol":"TCP"}'


def deployment():
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "labels": {"app.kubernetes.io/version": "1.0.0"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "registry.local/web:1.0.0",
                            "args": ["--serve"],
                            "ports": [{"containerPort": 8080}],
                            "env": [{"name": "MODE", "value": "live"}],
                            "resources": {},
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def applied_fields():
    """What an apply of deployment() records for its manager."""
    return {
        "f:metadata": {"f:labels": {"f:app.kubernetes.io/version": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        CONTAINER: {
                            ".": {},
                            "f:args": {},
                            "f:env": {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}},
                            "f:image": {},
                            "f:name": {},
                            # The API server writes the key fields in its own order.
                            "f:ports": {'k:{"protocol":"TCP","containerPort":8080}': {".": {}, "f:containerPort": {}}},
                            "f:resources": {},
                        }
                    },
                    "f:volumes": {'k:{"name":"tmp"}': {".": {}, "f:emptyDir": {}, "f:name": {}}},
                },
            },
        },
    }


def live(*others, ours=None):
    obj = deployment()
    entries = [{"manager": OURS, "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": ours or applied_fields()}]
    obj["metadata"]["managedFields"] = entries + [
        {"manager": name, "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": fields, **extra}
        for name, fields, extra in others
    ]
    return obj


def without(fields, *path):
    fields = copy.deepcopy(fields)
    node = fields
    for element in path[:-1]:
        node = node[element]
    del node[path[-1]]
    return fields


def test_desired_fields_key_the_built_in_lists_and_leave_the_others_atomic():
    paths = [field[0] for field in mf.desired_fields(deployment())]
    container = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER)
    assert (*container, "f:image") in paths
    assert (*container, "f:name") in paths
    assert (*container, "f:args") in paths  # unknown list: one leaf
    assert (*container, "f:ports", PORT, "f:containerPort") in paths  # protocol defaulted into the key
    assert (*container, "f:env", 'k:{"name":"MODE"}', "f:value") in paths
    assert (*container, "f:resources") in paths  # an empty map is a leaf
    assert ("f:spec", "f:template", "f:spec", "f:volumes", 'k:{"name":"tmp"}', "f:emptyDir") in paths
    assert ("f:spec", "f:selector", "f:matchLabels", "f:app") in paths


def test_desired_fields_leave_out_identity_status_and_nulls():
    obj = deployment()
    obj["status"] = {"replicas": 3}
    obj["spec"]["paused"] = None
    paths = [field[0] for field in mf.desired_fields(obj)]
    assert ("f:apiVersion",) not in paths
    assert ("f:kind",) not in paths
    assert ("f:metadata", "f:name") not in paths
    assert ("f:metadata", "f:namespace") not in paths
    assert not [path for path in paths if path[0] == "f:status"]
    assert ("f:spec", "f:paused") not in paths


def test_service_ports_are_keyed_by_port_and_protocol():
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "protocol": "UDP"}]},
    }
    assert [field[0] for field in mf.desired_fields(service)] == [
        ("f:spec", "f:ports", 'k:{"port":80,"protocol":"UDP"}', "f:port"),
        ("f:spec", "f:ports", 'k:{"port":80,"protocol":"UDP"}', "f:protocol"),
    ]


def test_a_list_without_its_key_fields_is_atomic():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"name": "http"}]}}
    assert [field[0] for field in mf.desired_fields(service)] == [(("f:spec", "f:ports"))]


def test_managers_by_path_merge_the_entries_and_canonicalise_keys():
    obj = live(("kubectl", {"f:spec": {"f:replicas": {}}}, {"subresource": "scale"}))
    by_path = mf.managers_by_path(obj["metadata"]["managedFields"])
    assert by_path[("f:spec", "f:replicas")] == ["botcore-platform", "kubectl"]
    port = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:ports", PORT)
    assert by_path[port] == [OURS]  # the "." member of the element
    assert by_path[(*port, "f:containerPort")] == [OURS]


def test_managed_paths_skip_entries_of_other_field_types():
    assert mf.managed_paths([{"manager": "old", "fieldsType": "FieldsV2", "fieldsV1": {"f:spec": {}}}]) == {}


def test_owners_count_an_atomic_ancestor_and_anything_beneath():
    owned = mf.managed_paths(live()["metadata"]["managedFields"])
    # f:selector is atomic live: it owns matchLabels beneath it.
    assert mf.owners(("f:spec", "f:selector", "f:matchLabels", "f:app"), owned) == [OURS]
    # A list this module keeps atomic that the API server keys: owned through what is beneath it.
    assert mf.owners(("f:spec", "f:template", "f:spec", "f:containers"), owned) == [OURS]
    # A map with children is no atomic ancestor: owning a label does not own every label.
    assert mf.owners(("f:metadata", "f:labels", "f:other"), owned) == []


def test_owners_do_not_count_an_element_marker_as_owning_its_fields():
    fields = {"f:spec": {"f:containers": {CONTAINER: {".": {}, "f:name": {}}}}}
    owned = mf.managed_paths([{"manager": "creator", "fieldsV1": fields}])
    assert mf.owners(("f:spec", "f:containers", CONTAINER, "f:image"), owned) == []
    assert mf.owners(("f:spec", "f:containers", CONTAINER, "f:name"), owned) == ["creator"]


def test_no_drift_when_the_field_manager_owns_every_field():
    assert mf.drift(deployment(), live(), OURS) == []


def test_a_scale_a_label_and_an_edit_are_drift_with_their_managers_and_values():
    image = ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:image")
    ours = without(
        without(applied_fields(), "f:spec", "f:replicas"), "f:metadata", "f:labels", "f:app.kubernetes.io/version"
    )
    ours = without(ours, *image)
    obj = live(
        ("kubectl", {"f:spec": {"f:replicas": {}}}, {"subresource": "scale"}),
        ("kubectl-label", {"f:metadata": {"f:labels": {"f:app.kubernetes.io/version": {}}}}, {}),
        ("kubectl-edit", {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {"f:image": {}}}}}}}, {}),
        ours=ours,
    )
    obj["spec"]["replicas"] = 5
    obj["metadata"]["labels"]["app.kubernetes.io/version"] = "hand-made"
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.local/web:edited"
    found = {entry["field"]: entry for entry in mf.drift(deployment(), obj, OURS)}
    assert sorted(found) == [
        'metadata.labels["app.kubernetes.io/version"]',
        "spec.replicas",
        "spec.template.spec.containers[name=app].image",
    ]
    assert found["spec.replicas"] == {
        "path": ["f:spec", "f:replicas"],
        "field": "spec.replicas",
        "manager": "kubectl",
        "ours": False,
        "live": 5,
        "live_present": True,
        "desired": 3,
    }
    assert found['metadata.labels["app.kubernetes.io/version"]']["manager"] == "kubectl-label"
    assert found["spec.template.spec.containers[name=app].image"]["manager"] == "kubectl-edit"
    assert found["spec.template.spec.containers[name=app].image"]["live"] == "registry.local/web:edited"


def test_a_field_shared_with_another_manager_is_drift_that_says_so():
    obj = live(("operator", {"f:spec": {"f:replicas": {}}}, {}))
    (entry,) = mf.drift(deployment(), obj, OURS)
    assert (entry["field"], entry["manager"], entry["ours"]) == ("spec.replicas", "operator", True)


def test_a_field_of_a_fellow_manager_of_the_collection_is_no_drift():
    obj = live(("botcore-platform-generator", {"f:spec": {"f:replicas": {}}}, {}))
    assert mf.drift(deployment(), obj, OURS, ["botcore-platform-generator"]) == []


def test_a_field_a_fellow_manager_owns_alone_is_no_drift_but_one_beside_another_manager_is():
    fellow = ["botcore-platform-generator"]
    alone = live(
        ("botcore-platform-generator", {"f:spec": {"f:replicas": {}}}, {}),
        ours=without(applied_fields(), "f:spec", "f:replicas"),
    )
    assert mf.drift(deployment(), alone, OURS, fellow) == []
    beside = live(
        ("botcore-platform-generator", {"f:spec": {"f:replicas": {}}}, {}),
        ("kubectl-scale", {"f:spec": {"f:replicas": {}}}, {}),
        ours=without(applied_fields(), "f:spec", "f:replicas"),
    )
    (entry,) = mf.drift(deployment(), beside, OURS, fellow)
    assert (entry["field"], entry["manager"], entry["ours"]) == ("spec.replicas", "kubectl-scale", True)


def test_a_removed_field_is_drift_owned_by_nobody():
    obj = live(ours=without(applied_fields(), "f:metadata"))
    del obj["metadata"]["labels"]
    (entry,) = mf.drift(deployment(), obj, OURS)
    assert entry["manager"] is None
    assert (entry["live"], entry["live_present"], entry["desired"]) == (None, False, "1.0.0")


def test_secret_values_are_masked_on_both_sides():
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns"},
        "data": {"token": "c2VjcmV0"},
    }
    obj = copy.deepcopy(secret)
    obj["data"]["token"] = "aGFuZC1tYWRl"
    obj["metadata"]["managedFields"] = [{"manager": "kubectl-edit", "fieldsV1": {"f:data": {"f:token": {}}}}]
    (entry,) = mf.drift(secret, obj, OURS)
    assert (entry["live"], entry["desired"]) == (mf.MASKED, mf.MASKED)
    assert "c2VjcmV0" not in str(entry) and "aGFuZC1tYWRl" not in str(entry)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("f:spec", "f:replicas"), (True, 3)),
        (
            ("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:ports", PORT, "f:containerPort"),
            (True, 8080),
        ),
        (("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"other"}', "f:image"), (False, None)),
        (("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:args", 'v:"--serve"'), (True, "--serve")),
        (("f:spec", "f:template", "f:spec", "f:containers", CONTAINER, "f:args", "i:1"), (False, None)),
        (("f:spec", "f:nothing"), (False, None)),
    ],
)
def test_value_at(path, expected):
    assert mf.value_at(deployment(), path) == expected


def test_path_string():
    assert (
        mf.path_string(("f:metadata", "f:labels", "f:app.kubernetes.io/version"))
        == 'metadata.labels["app.kubernetes.io/version"]'
    )
    assert (
        mf.path_string(("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}', "f:port"))
        == "spec.ports[port=80,protocol=TCP].port"
    )


def test_drift_table_lists_fields_and_missing_objects():
    results = [
        {
            "object": "Deployment ns/web",
            "state": "drifted",
            "fields": [
                {
                    "field": "spec.replicas",
                    "manager": "kubectl",
                    "ours": False,
                    "live": 5,
                    "live_present": True,
                    "desired": 3,
                },
                {
                    "field": "metadata.labels.x",
                    "manager": None,
                    "ours": False,
                    "live": None,
                    "live_present": False,
                    "desired": "y",
                },
            ],
        },
        {"object": "Service ns/web", "state": "missing", "reason": "not found", "fields": []},
        {"object": "ConfigMap ns/web", "state": "in_sync", "fields": []},
    ]
    lines = mf.drift_table(results).splitlines()
    assert lines[0].split() == ["OBJECT", "FIELD", "MANAGER", "LIVE", "->", "DESIRED"]
    assert lines[1].split() == ["Deployment", "ns/web", "spec.replicas", "kubectl", "5", "->", "3"]
    assert lines[2].split() == ["Deployment", "ns/web", "metadata.labels.x", "(nobody)", "(removed)", "->", "y"]
    assert lines[3].split() == ["Service", "ns/web", "(the", "object)", "-", "(missing:", "not", "found)"]
    assert lines[4] == "3 fields drifted or missing in 2 of 3 objects."


def test_drift_table_says_when_there_is_none():
    assert mf.drift_table([{"object": "Service ns/web", "state": "in_sync", "fields": []}]) == (
        "No drift: the collection's field manager owns every field it sets, in 1 objects."
    )
