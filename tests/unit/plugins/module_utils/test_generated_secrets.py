# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.generated_secrets: create-only writes through ensure()/run() against an in-memory Secret store
that refuses a create of an existing Secret and a patch on a stale resourceVersion, as the API server does; another
run's write is injected between our read and our write."""

from __future__ import annotations

import base64
import copy

import pytest
from ansible_collections.botcore.platform.plugins.module_utils import generated_secrets as gen
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Instance:
    def __init__(self, data):
        self._data = copy.deepcopy(data)

    def to_dict(self):
        return copy.deepcopy(self._data)


class Store:
    """Secrets and Namespaces of kubernetes.core's K8SClient, in memory. ``before_write`` runs once before the
    next write of a Secret: another run's write."""

    def __init__(self, namespaces=("ns",)):
        self.secrets = {}
        self.namespaces = set(namespaces)
        self.version = 0
        self.writes = []
        self.before_write = None

    def resource(self, kind, api_version):
        assert api_version == "v1"
        return {"Secret": SecretResource, "Namespace": NamespaceResource}[kind](self)

    def _next(self):
        hook, self.before_write = self.before_write, None
        if hook:
            hook()
        self.version += 1
        return str(self.version)

    def put(self, namespace, name, data):
        """Another writer's Secret, as it would create or change it."""
        self.version += 1
        self.secrets[namespace, name] = {
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": str(self.version)},
            "data": {key: b64(value) for key, value in data.items()},
        }

    def values(self, namespace, name):
        return {k: base64.b64decode(v).decode() for k, v in self.secrets[namespace, name]["data"].items()}


class SecretResource:
    def __init__(self, store):
        self.store = store

    def get(self, name, namespace):
        if (namespace, name) not in self.store.secrets:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        return Instance(self.store.secrets[namespace, name])

    def create(self, body, namespace, field_manager):
        rv = self.store._next()
        name = body["metadata"]["name"]
        if namespace not in self.store.namespaces:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        if (namespace, name) in self.store.secrets:
            raise ConflictError(ApiException(status=409, reason="AlreadyExists"))
        self.store.writes.append(("create", name, sorted(body["data"]), field_manager))
        self.store.secrets[namespace, name] = {
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": rv},
            "data": dict(body["data"]),
        }
        return Instance(self.store.secrets[namespace, name])

    def patch(self, body, name, namespace, content_type, field_manager):
        assert content_type == "application/merge-patch+json"
        self.store._next()
        live = self.store.secrets[namespace, name]
        if body["metadata"]["resourceVersion"] != live["metadata"]["resourceVersion"]:
            raise ConflictError(ApiException(status=409, reason="Conflict"))
        self.store.writes.append(("patch", name, sorted(body["data"]), field_manager))
        live["data"] = {**(live.get("data") or {}), **body["data"]}
        live["metadata"]["resourceVersion"] = str(self.store.version)
        return Instance(live)


class NamespaceResource:
    def __init__(self, store):
        self.store = store

    def create(self, body, field_manager):
        self.store.namespaces.add(body["metadata"]["name"])
        return Instance(body)


def run(store, items, check_mode=False):
    return gen.run(gen.Api(store, "botcore-platform-generator"), items, check_mode)


def item(create=None, replace=None, name="creds", namespace="ns"):
    return {"name": name, "namespace": namespace, "create": create or {}, "replace": replace or {}}


def decoded(result):
    return {name: {k: base64.b64decode(v).decode() for k, v in data.items()} for name, data in result["data"].items()}


def test_a_missing_secret_is_created_with_the_generated_values():
    store = Store()
    result = run(store, [item({"password": "mine"})])
    assert store.writes == [("create", "creds", ["password"], "botcore-platform-generator")]
    assert decoded(result) == {"creds": {"password": "mine"}} and result["changed"]
    assert result["secrets"] == [
        {"name": "creds", "namespace": "ns", "created": ["password"], "kept": [], "rotated": []}
    ]


def test_an_existing_key_keeps_its_value_and_nothing_is_written():
    store = Store()
    store.put("ns", "creds", {"password": "theirs"})
    result = run(store, [item({"password": "mine"})])
    assert store.writes == [] and not result["changed"]
    assert decoded(result) == {"creds": {"password": "theirs"}}
    assert result["secrets"][0]["kept"] == ["password"] and result["diff"] == []


def test_a_missing_key_is_added_without_touching_the_others():
    store = Store()
    store.put("ns", "creds", {"user": "root"})
    result = run(store, [item({"password": "mine"})])
    assert store.writes == [("patch", "creds", ["password"], "botcore-platform-generator")]
    assert store.values("ns", "creds") == {"user": "root", "password": "mine"}
    assert result["diff"][0]["before"] == "user: ********\n"
    assert result["diff"][0]["after"] == "password: ******** (new value)\nuser: ********\n"


def test_a_secret_another_run_created_first_gives_its_value():
    store = Store()
    store.before_write = lambda: store.put("ns", "creds", {"password": "winner", "other": "x"})
    result = run(store, [item({"password": "loser", "other": "loser-too"})])
    assert decoded(result) == {"creds": {"password": "winner", "other": "x"}}
    assert store.values("ns", "creds") == {"password": "winner", "other": "x"} and store.writes == []


def test_a_key_another_run_added_meanwhile_gives_its_value_and_ours_are_still_added():
    store = Store()
    store.put("ns", "creds", {})
    store.before_write = lambda: store.put("ns", "creds", {"password": "winner"})
    result = run(store, [item({"password": "loser", "token": "mine"})])
    assert decoded(result) == {"creds": {"password": "winner", "token": "mine"}}
    assert store.values("ns", "creds") == {"password": "winner", "token": "mine"}
    assert store.writes == [("patch", "creds", ["token"], "botcore-platform-generator")]


def test_a_rotated_key_is_replaced_and_one_holding_the_value_already_is_not():
    store = Store()
    store.put("ns", "creds", {"token": "old", "same": "new-same"})
    result = run(store, [item(replace={"token": "new", "same": "new-same"})])
    assert store.values("ns", "creds") == {"token": "new", "same": "new-same"}
    assert result["secrets"][0]["rotated"] == ["token"]
    assert store.writes == [("patch", "creds", ["token"], "botcore-platform-generator")]


def test_a_secret_in_a_namespace_that_does_not_exist_yet_gets_a_bare_namespace_first():
    store = Store(namespaces=())
    result = run(store, [item({"admin-password": "mine"}, name="grafana-admin", namespace="monitoring")])
    assert "monitoring" in store.namespaces
    assert decoded(result) == {"grafana-admin": {"admin-password": "mine"}}


def test_check_mode_writes_nothing_and_says_what_it_would_create():
    store = Store()
    store.put("ns", "creds", {"user": "root"})
    result = run(store, [item({"password": "mine", "user": "other"})], check_mode=True)
    assert store.writes == [] and result["changed"]
    assert result["secrets"][0]["created"] == ["password"] and result["secrets"][0]["kept"] == ["user"]
    assert decoded(result) == {"creds": {"password": "mine", "user": "root"}}


def test_a_writer_that_never_lets_go_fails_naming_the_secret():
    store = Store()
    store.put("ns", "creds", {})

    def another_write():
        store.put("ns", "creds", {})
        store.before_write = another_write

    store.before_write = another_write
    with pytest.raises(gen.SecretError, match=r"Secret ns/creds changed under each of 10 writes"):
        run(store, [item({"password": "mine"})])


def test_a_value_in_the_cluster_that_is_not_base64_fails_without_showing_it():
    store = Store()
    store.secrets["ns", "creds"] = {
        "metadata": {"name": "creds", "namespace": "ns", "resourceVersion": "1"},
        "data": {"password": "not*base64"},
    }
    with pytest.raises(gen.SecretError, match=r"^ns/creds/password in the cluster is not base64 text$"):
        run(store, [item({"password": "mine"})])


@pytest.mark.parametrize(
    ("live", "create", "replace", "writes", "values"),
    [
        (None, {"a": "1"}, {}, {"a": "1"}, {"a": "1"}),
        ({"a": "0"}, {"a": "1"}, {}, {}, {"a": "0"}),
        ({"a": ""}, {"a": "1"}, {}, {"a": "1"}, {"a": "1"}),
        ({"a": "0"}, {}, {"a": "1"}, {"a": "1"}, {"a": "1"}),
        ({"a": "1"}, {}, {"a": "1"}, {}, {"a": "1"}),
    ],
)
def test_plan(live, create, replace, writes, values):
    assert gen.plan(live, create, replace) == (writes, values)
