# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure rules of botcore.platform.apply: phases, ApplySet names, field-set pruning, masking, conflicts."""

from __future__ import annotations

import base64
import hashlib

import pytest
from ansible_collections.botcore.platform.plugins.module_utils import apply_rules as rules

NS = "bot-core-production"


def obj(kind, name, api_version="v1", namespace=NS, **rest):
    metadata = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **rest}


# ---- ApplySet ---------------------------------------------------------------------------------------------------


def test_applyset_id_is_kep_3659s_hash_of_the_parent():
    digest = hashlib.sha256(b"botcore-applyset-core-engine.bot-core-production.Secret.").digest()
    expected = "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"
    assert rules.applyset_id("botcore-applyset-core-engine", NS) == expected
    assert "=" not in expected and "+" not in expected and "/" not in expected


def test_applyset_id_differs_by_namespace_and_kind():
    assert rules.applyset_id("a", "x") != rules.applyset_id("a", "y")
    assert rules.applyset_id("a", "x") != rules.applyset_id("a", "x", kind="ConfigMap")


def test_group_kind_is_kind_alone_for_the_core_group():
    assert rules.group_kind(obj("ConfigMap", "c")) == "ConfigMap"
    assert rules.group_kind(obj("Deployment", "d", "apps/v1")) == "Deployment.apps"
    assert rules.split_group_kind("Deployment.apps") == ("apps", "Deployment")
    assert rules.split_group_kind("HTTPRoute.gateway.networking.k8s.io") == ("gateway.networking.k8s.io", "HTTPRoute")
    assert rules.split_group_kind("ConfigMap") == ("", "ConfigMap")


def test_parent_records_sorted_group_kinds_and_other_namespaces_only():
    parent = rules.parent_object(
        "ingress",
        NS,
        "botcore.platform/0.2.0",
        ["Ingress.networking.k8s.io", "HTTPRoute.gateway.networking.k8s.io"],
        [NS, "istio-ingress"],
    )
    annotations = parent["metadata"]["annotations"]
    assert parent["metadata"]["name"] == "botcore-applyset-ingress"
    assert parent["metadata"]["labels"][rules.ID_LABEL] == rules.applyset_id("botcore-applyset-ingress", NS)
    assert annotations[rules.GROUP_KINDS_ANNOTATION] == "HTTPRoute.gateway.networking.k8s.io,Ingress.networking.k8s.io"
    assert annotations[rules.NAMESPACES_ANNOTATION] == "istio-ingress"
    assert annotations[rules.TOOLING_ANNOTATION] == "botcore.platform/0.2.0"


def test_parent_without_other_namespaces_has_no_namespaces_annotation():
    parent = rules.parent_object("mongodb", NS, "t/1", ["StatefulSet.apps"], [NS])
    assert rules.NAMESPACES_ANNOTATION not in parent["metadata"]["annotations"]


def test_label_member_adds_the_part_of_label_to_a_copy():
    original = obj("ConfigMap", "c")
    labelled = rules.label_member(original, "applyset-x-v1")
    assert labelled["metadata"]["labels"] == {rules.PART_OF_LABEL: "applyset-x-v1"}
    assert "labels" not in original["metadata"]


# ---- phases -----------------------------------------------------------------------------------------------------


def test_phases_cluster_objects_first_then_config_then_workloads_then_what_follows():
    pairs = [
        ("mongodb", obj("Namespace", "ns", namespace=None)),
        ("mongodb", obj("Service", "mongodb")),
        ("mongodb", obj("StatefulSet", "mongodb", "apps/v1")),
        ("mongodb", obj("Job", "rs-init", "batch/v1")),
        ("mongodb", obj("CronJob", "backup", "batch/v1")),
        ("core_engine", obj("ConfigMap", "c")),
        ("core_engine", obj("Deployment", "e", "apps/v1")),
        ("core_engine", obj("HorizontalPodAutoscaler", "e", "autoscaling/v2")),
    ]
    split = rules.phases(pairs, lambda o: "namespace" not in o["metadata"])
    assert split == {"cluster": [0], "namespaced": [1, 5], "workloads": [2, 6], "after": [3, 4, 7]}


def test_phases_without_workloads_keep_everything_before_the_wait():
    pairs = [("secrets", obj("Secret", "a")), ("secrets", obj("Secret", "b"))]
    assert rules.phases(pairs, lambda o: False) == {"cluster": [], "namespaced": [0, 1], "workloads": [], "after": []}


# ---- conflicts --------------------------------------------------------------------------------------------------


def test_conflicts_name_field_and_manager_with_its_subresource():
    status = {
        "kind": "Status",
        "code": 409,
        "reason": "Conflict",
        "details": {
            "causes": [
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "kubectl-label" using v1',
                    "field": ".metadata.labels.tier",
                },
                {
                    "reason": "FieldManagerConflict",
                    "message": 'conflict with "kubectl" with subresource "scale" using apps/v1',
                    "field": ".spec.replicas",
                },
                {"reason": "FieldValueInvalid", "message": "other", "field": ".spec"},
            ]
        },
    }
    assert rules.conflicts(status) == [
        {"field": ".metadata.labels.tier", "manager": "kubectl-label"},
        {"field": ".spec.replicas", "manager": "kubectl (subresource scale)"},
    ]


def test_conflicts_of_another_status_are_none():
    assert (
        rules.conflicts({"code": 422, "reason": "Invalid", "details": {"causes": [{"reason": "FieldValueInvalid"}]}})
        == []
    )
    assert rules.conflicts({}) == []


# ---- field sets and readable diffs ------------------------------------------------------------------------------

FIELDS = {
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:template": {
            "f:spec": {
                "f:containers": {
                    'k:{"name":"engine"}': {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {'k:{"containerPort":8080,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                    },
                },
                "f:finalizers": {'v:"a"': {}},
            }
        },
    },
}


def live_deployment(image="engine:1"):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "rust-core-engine",
            "namespace": NS,
            "labels": {"app": "engine", "added-by-hand": "x"},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
            "resourceVersion": "42",
            "uid": "u",
            "generation": 3,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [
                {"manager": "botcore-platform", "operation": "Apply", "fieldsV1": FIELDS},
                {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status", "fieldsV1": {}},
            ],
        },
        "spec": {
            "replicas": 3,
            "revisionHistoryLimit": 10,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "engine",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        },
                        {"name": "istio-proxy", "image": "proxy"},
                    ],
                    "finalizers": ["a", "b"],
                }
            },
        },
        "status": {"replicas": 3},
    }


def test_project_keeps_only_the_managers_fields():
    projected = rules.project(live_deployment(), FIELDS)
    assert projected == {
        "metadata": {"labels": {"app": "engine"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [{"name": "engine", "image": "engine:1", "ports": [{"containerPort": 8080}]}],
                    "finalizers": ["a"],
                }
            },
        },
    }


def test_manager_fields_take_only_its_apply_entries():
    live = live_deployment()
    assert rules.manager_fields(live, "botcore-platform") == FIELDS
    assert rules.manager_fields(live, "kube-controller-manager") == {}
    assert rules.manager_fields(None, "botcore-platform") == {}


def test_merge_fields_is_a_union():
    assert rules.merge_fields({"f:a": {"f:b": {}}}, {"f:a": {"f:c": {}}, "f:d": {}}) == {
        "f:a": {"f:b": {}, "f:c": {}},
        "f:d": {},
    }


def test_readable_diff_of_a_new_image_is_its_line_and_nothing_of_the_server():
    entry = rules.readable_diff("core_engine", live_deployment("engine:1"), live_deployment("engine:2"), FIELDS)
    before, after = entry["before"].splitlines(), entry["after"].splitlines()
    assert [line for line in before if line not in after] == ["        image: engine:1"]
    assert [line for line in after if line not in before] == ["        image: engine:2"]
    for hidden in (
        "managedFields",
        "resourceVersion",
        "uid",
        "generation",
        "creationTimestamp",
        "status",
        "istio-proxy",
        "added-by-hand",
        "deployment.kubernetes.io/revision",
    ):
        assert hidden not in entry["before"] + entry["after"]
    assert entry["before_header"] == f"core_engine: Deployment/rust-core-engine in namespace {NS} (live)"
    assert entry["after_header"] == f"core_engine: Deployment/rust-core-engine in namespace {NS} (applied)"


def test_readable_diff_is_none_when_only_server_fields_move():
    moved = live_deployment()
    moved["metadata"]["resourceVersion"] = "43"
    moved["status"] = {"replicas": 4}
    moved["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "4"
    assert rules.readable_diff("core_engine", live_deployment(), moved, FIELDS) is None


def test_readable_diff_of_a_created_object_shows_it_whole_and_a_deleted_one_by_name():
    new = obj("ConfigMap", "rust-config", data={"a": "1"})
    created = rules.readable_diff("core_engine", None, new, {})
    assert created["before"] == "" and "data:\n  a: '1'" in created["after"]
    assert created["before_header"].endswith("(absent)")
    deleted = rules.readable_diff("core_engine", new, None, {})
    assert (
        deleted["after"] == ""
        and deleted["after_header"] == f"core_engine: ConfigMap/rust-config in namespace {NS} (deleted)"
    )


def test_readable_diff_masks_secret_values_and_says_which_changed():
    fields = {"f:data": {"f:kept": {}, "f:rotated": {}}}
    before = obj("Secret", "s", data={"kept": "c2VjcmV0MQ==", "rotated": "b2xk"})
    after = obj("Secret", "s", data={"kept": "c2VjcmV0MQ==", "rotated": "bmV3"})
    entry = rules.readable_diff("secrets", before, after, fields)
    text = entry["before"] + entry["after"]
    for value in ("c2VjcmV0MQ==", "b2xk", "bmV3"):
        assert value not in text
    assert "kept: <masked>" in entry["before"] and "kept: <masked>" in entry["after"]
    assert "rotated: <masked, old value>" in entry["before"] and "rotated: <masked, new value>" in entry["after"]


def test_changes_ignores_what_controllers_write():
    moved = live_deployment()
    moved["status"] = {"replicas": 1}
    moved["metadata"]["resourceVersion"] = "99"
    assert not rules.changes(live_deployment(), moved, "botcore-platform")


@pytest.mark.parametrize(
    "edit",
    [
        lambda o: o["spec"]["template"]["spec"]["containers"][0].update(image="engine:2"),
        # A field the manager stops setting: its entry changes even when the value stays.
        lambda o: o["metadata"]["managedFields"][0].update(fieldsV1={"f:metadata": FIELDS["f:metadata"]}),
    ],
    ids=["value", "field set"],
)
def test_changes_sees_a_value_or_the_field_set_move(edit):
    after = live_deployment()
    edit(after)
    assert rules.changes(live_deployment(), after, "botcore-platform")


def test_changes_of_a_missing_object_is_a_creation():
    assert rules.changes(None, live_deployment(), "botcore-platform")
