# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.drift: main() against an in-memory API of kubernetes.core's K8SClient shape."""

from __future__ import annotations

import copy
import json
from typing import ClassVar
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.botcore.platform.plugins.modules import drift as drift_module
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ForbiddenError, NotFoundError, ResourceNotFoundError

OURS = "botcore-platform"


class Instance:
    def __init__(self, data):
        self._data = copy.deepcopy(data)

    def to_dict(self):
        return copy.deepcopy(self._data)


class Resource:
    def __init__(self, cluster, kind, namespaced):
        self.cluster, self.kind, self.namespaced = cluster, kind, namespaced

    def get(self, name, namespace):
        self.cluster.reads.append((self.kind, namespace, name))
        if self.kind in self.cluster.forbidden:
            raise ForbiddenError(ApiException(status=403, reason="Forbidden"))
        try:
            return Instance(self.cluster.objects[self.kind, namespace, name])
        except KeyError:
            raise NotFoundError(ApiException(status=404, reason="Not Found")) from None


class Cluster:
    """The live objects by (kind, namespace, name); kinds not in ``served`` raise as an API that is not served."""

    # Kind -> namespaced.
    served: ClassVar[dict] = {"ConfigMap": True, "Secret": True, "Namespace": False}

    def __init__(self, *objects):
        self.objects = {
            (obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"]): obj for obj in objects
        }
        self.reads = []
        self.forbidden = set()

    def resource(self, kind, api_version):
        if kind not in self.served:
            raise ResourceNotFoundError(f"No matches found for {kind} {api_version}")
        return Resource(self, kind, self.served[kind])


def configmap(value="live", manager=OURS):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "settings",
            "namespace": "ns",
            "managedFields": [{"manager": manager, "operation": "Apply", "fieldsV1": {"f:data": {"f:mode": {}}}}],
        },
        "data": {"mode": value},
    }


def desired(obj):
    obj = copy.deepcopy(obj)
    obj["metadata"].pop("managedFields", None)
    return obj


@pytest.fixture
def run_module(capsys):
    def run(cluster, objects):
        with (
            patch_module_args({"objects": objects, "field_manager": OURS}),
            mock.patch.object(drift_module, "get_api_client", return_value=cluster),
            pytest.raises(SystemExit) as exited,
        ):
            drift_module.main()
        result = json.loads(capsys.readouterr().out)
        assert (exited.value.code != 0) == bool(result.get("failed"))
        return result

    return run


def test_an_object_the_field_manager_owns_is_in_sync(run_module):
    result = run_module(Cluster(configmap()), [desired(configmap())])
    assert (result["changed"], result["drifted"], result["missing"]) == (False, 0, 0)
    assert result["objects"][0]["state"] == "in_sync"
    assert result["table"].startswith("No drift")


def test_a_field_another_manager_took_is_reported_with_both_values(run_module):
    result = run_module(Cluster(configmap("edited", manager="kubectl-edit")), [desired(configmap())])
    (obj,) = result["objects"]
    assert (obj["object"], obj["state"], result["drifted"]) == ("ConfigMap ns/settings", "drifted", 1)
    (field,) = obj["fields"]
    assert (field["field"], field["manager"], field["live"], field["desired"]) == (
        "data.mode",
        "kubectl-edit",
        "edited",
        "live",
    )
    assert "data.mode" in result["table"] and "kubectl-edit" in result["table"]


def test_missing_objects_and_unserved_apis_are_missing_with_the_reason(run_module):
    cluster = Cluster()
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "ns"},
    }
    result = run_module(cluster, [desired(configmap()), gateway])
    assert [(obj["state"], obj["reason"]) for obj in result["objects"]] == [
        ("missing", "not found"),
        ("missing", "the API gateway.networking.k8s.io/v1 Gateway is not served"),
    ]
    assert result["missing"] == 2


def test_a_cluster_scoped_object_is_read_without_its_namespace(run_module):
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "namespace": "ignored"}}
    cluster = Cluster()
    run_module(cluster, [namespace])
    assert cluster.reads == [("Namespace", None, "ns")]


def test_secret_values_never_leave_the_module(run_module):
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns"},
        "data": {"token": "c2VjcmV0"},
    }
    live = copy.deepcopy(secret)
    live["data"]["token"] = "aGFuZC1tYWRl"
    live["metadata"]["managedFields"] = [{"manager": "kubectl-edit", "fieldsV1": {"f:data": {"f:token": {}}}}]
    result = run_module(Cluster(live), [secret])
    assert result["drifted"] == 1
    output = json.dumps({key: value for key, value in result.items() if key != "invocation"})
    assert "c2VjcmV0" not in output and "aGFuZC1tYWRl" not in output


def test_a_read_that_fails_otherwise_fails_the_module_naming_the_object(run_module):
    cluster = Cluster(configmap())
    cluster.forbidden.add("ConfigMap")
    result = run_module(cluster, [desired(configmap())])
    assert result["failed"] and result["msg"].startswith("reading ConfigMap ns/settings failed")


def test_an_object_without_a_name_fails_the_module(run_module):
    result = run_module(Cluster(), [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}])
    assert result["failed"] and "lacks apiVersion, kind or metadata.name" in result["msg"]
