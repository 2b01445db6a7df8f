# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.rollout end to end through main(), against an in-memory stand-in for kubernetes.core's K8SClient."""

from __future__ import annotations

import copy
import json
import time
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.botcore.platform.plugins.modules import rollout as rollout_module
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import NotFoundError, UnprocessibleEntityError

NS = "bot-core-production"
BROKEN_MESSAGE = "back-off 40s restarting failed container=engine"


class Instance:
    """What the dynamic client returns: an object with to_dict()."""

    def __init__(self, data):
        self._data = copy.deepcopy(data)

    def to_dict(self):
        return copy.deepcopy(self._data)


def _matches(obj, label_selector):
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(key) == value for key, value in (term.split("=") for term in label_selector.split(",")))


def _field(obj, path):
    for part in path.split("."):
        obj = (obj or {}).get(part)
    return obj


def _matches_fields(obj, field_selector):
    return all(_field(obj, path) == value for path, value in (term.split("=") for term in field_selector.split(",")))


def _json_pointer(path):
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def _apply_json_patch(obj, operations):
    for operation in operations:
        *parents, key = _json_pointer(operation["path"])
        node = obj
        for part in parents:
            node = node[part]
        if operation["op"] == "remove":
            del node[key]
        else:
            node[key] = copy.deepcopy(operation["value"])


def _apply_strategic_merge_patch(obj, patch):
    """Enough of strategic merge: maps merge, null deletes, ``$patch: replace`` replaces the map."""
    for key, value in patch.items():
        if isinstance(value, dict) and value.get("$patch") == "replace":
            obj[key] = {k: copy.deepcopy(v) for k, v in value.items() if k != "$patch"}
        elif isinstance(value, dict):
            _apply_strategic_merge_patch(obj.setdefault(key, {}), value)
        elif value is None:
            obj.pop(key, None)
        else:
            obj[key] = copy.deepcopy(value)


class Resource:
    def __init__(self, cluster, kind):
        self.cluster = cluster
        self.kind = kind

    def get(self, name=None, namespace=None, label_selector=None, field_selector=None):
        self.cluster.on_get(self.kind, name)
        if name:
            if (self.kind, name) not in self.cluster.objects:
                raise NotFoundError(ApiException(status=404, reason="Not Found"))
            return Instance(self.cluster.objects[(self.kind, name)])
        # Every list selects by labels, except the events': by field.
        assert (label_selector is None) == (self.kind == "Event") != (field_selector is None)
        items = [
            obj
            for key, obj in sorted(self.cluster.objects.items())
            if key[0] == self.kind
            and obj["metadata"]["namespace"] == namespace
            and (_matches_fields(obj, field_selector) if field_selector else _matches(obj, label_selector))
        ]
        return Instance({"kind": f"{self.kind}List", "items": items})

    def patch(self, body, name, namespace, content_type):
        self.cluster.patches.append((self.kind, name, namespace, copy.deepcopy(body), content_type))
        if self.cluster.patch_error:
            raise self.cluster.patch_error
        obj = self.cluster.objects[(self.kind, name)]
        spec = copy.deepcopy(obj.get("spec"))
        if content_type == "application/json-patch+json":
            _apply_json_patch(obj, body)
        else:
            # A merge patch of maps is a strategic merge patch without directives.
            _apply_strategic_merge_patch(obj, body)
        # As the API server does: only a change of the spec is a new generation.
        if obj.get("spec") != spec:
            obj["metadata"]["generation"] += 1
        return Instance(obj)

    def delete(self, name, namespace):
        self.cluster.deleted.append((self.kind, name, namespace))
        return Instance(self.cluster.objects.pop((self.kind, name)))


class Cluster:
    """Stands in for kubernetes.core's K8SClient: resource(kind, api_version) with get, patch and delete."""

    def __init__(self, *objects):
        self.objects = {(obj["kind"], obj["metadata"]["name"]): copy.deepcopy(obj) for obj in objects}
        self.patches = []
        self.deleted = []
        self.patch_error = None
        self.gets = 0
        self.progress = None

    def resource(self, kind, api_version):
        assert api_version == ("v1" if kind in ("Pod", "Event") else "apps/v1")
        return Resource(self, kind)

    def on_get(self, kind, name):
        """Let a test move the rollout on: ``progress(cluster)`` runs before every read of the workload."""
        if name and kind in ("Deployment", "StatefulSet"):
            self.gets += 1
            if self.progress:
                self.progress(self)

    def obj(self, kind, name):
        return self.objects[(kind, name)]


def template(image, app="web", hash_label=None, container="engine"):
    labels = {"app": app}
    if hash_label:
        labels.update(hash_label)
    return {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": container, "image": image, "imagePullPolicy": "IfNotPresent"}]},
    }


def deployment(image="ghcr.io/botcore/engine:1.5", revision=2, change_cause="release 1.5", **status):
    annotations = {"deployment.kubernetes.io/revision": str(revision), "team": "trading"}
    if change_cause:
        annotations["kubernetes.io/change-cause"] = change_cause
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS, "uid": "uid-web", "generation": 5, "annotations": annotations},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template(image)},
        "status": {
            "observedGeneration": 5,
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 3,
            "availableReplicas": 3,
            **status,
        },
    }


def replicaset(revision, image, pod_hash, change_cause=None, owner="uid-web"):
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if change_cause:
        annotations["kubernetes.io/change-cause"] = change_cause
    return {
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"web-{pod_hash}",
            "namespace": NS,
            "labels": {"app": "web", "pod-template-hash": pod_hash},
            "annotations": annotations,
            "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": owner}],
        },
        "spec": {"template": template(image, hash_label={"pod-template-hash": pod_hash})},
    }


def pod(name, labels, ready, created, state=None):
    status = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [{"name": "engine", "ready": ready, "state": state or {"running": {}}}],
    }
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels, "creationTimestamp": created},
        "status": status,
    }


CRASHING = {"waiting": {"reason": "CrashLoopBackOff", "message": BROKEN_MESSAGE}}


def deployment_cluster(**status):
    """web at revision 2 (engine:1.5) with revision 1 (engine:1.4) kept, rolled out unless status says otherwise."""
    return Cluster(
        deployment(**status),
        replicaset(1, "ghcr.io/botcore/engine:1.4", "aaa", "release 1.4"),
        replicaset(2, "ghcr.io/botcore/engine:1.5", "bbb", "release 1.5"),
        replicaset(1, "ghcr.io/botcore/engine:0.1", "zzz", "another deployment's", owner="uid-other"),
    )


def broken_deployment_cluster(**status):
    """web at revision 2 (engine:1.5-broken): one new pod crashing, the three old ones still serving."""
    cluster = deployment_cluster(
        image="ghcr.io/botcore/engine:1.5-broken", replicas=4, updatedReplicas=1, availableReplicas=3, **status
    )
    cluster.objects[("ReplicaSet", "web-bbb")]["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "ghcr.io/botcore/engine:1.5-broken"
    )
    for index in range(3):
        old = pod(f"web-aaa-{index}", {"app": "web", "pod-template-hash": "aaa"}, True, "2026-03-01T10:00:00Z")
        cluster.objects[("Pod", old["metadata"]["name"])] = old
    new = pod("web-bbb-1", {"app": "web", "pod-template-hash": "bbb"}, False, "2026-03-02T07:45:12Z", CRASHING)
    cluster.objects[("Pod", "web-bbb-1")] = new
    return cluster


def statefulset(image="mongo:8.0.4-broken", update_revision="mongodb-r3", change_cause="mongo 8.0.4", **status):
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": "mongodb",
            "namespace": NS,
            "uid": "uid-mongodb",
            "generation": 3,
            "annotations": {"kubernetes.io/change-cause": change_cause, "checkov.io/skip1": "CKV_K8S_35=..."},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "mongodb"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "template": template(image, app="mongodb", container="mongo"),
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 3,
            "readyReplicas": 2,
            "updatedReplicas": 1,
            "currentRevision": "mongodb-r2",
            "updateRevision": update_revision,
            **status,
        },
    }


def controller_revision(revision, image, change_cause):
    data_template = template(image, app="mongodb", container="mongo")
    data_template["$patch"] = "replace"
    return {
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"mongodb-r{revision}",
            "namespace": NS,
            "labels": {"app": "mongodb", "controller.kubernetes.io/hash": f"r{revision}"},
            "annotations": {"kubernetes.io/change-cause": change_cause},
            "ownerReferences": [{"kind": "StatefulSet", "name": "mongodb", "uid": "uid-mongodb"}],
        },
        "revision": revision,
        "data": {"spec": {"template": data_template}},
    }


def statefulset_cluster():
    """mongodb mid-rollout to revision 3 (8.0.4-broken): mongodb-2 crashing on it, mongodb-0 and -1 on revision 2."""
    cluster = Cluster(
        statefulset(),
        controller_revision(1, "mongo:7.0.14", "mongo 7.0.14"),
        controller_revision(2, "mongo:8.0.3", "mongo 8.0.3"),
        controller_revision(3, "mongo:8.0.4-broken", "mongo 8.0.4"),
    )
    for index in range(2):
        member = pod(
            f"mongodb-{index}",
            {"app": "mongodb", "controller-revision-hash": "mongodb-r2"},
            True,
            "2026-03-01T10:00:00Z",
        )
        cluster.objects[("Pod", member["metadata"]["name"])] = member
    broken = pod(
        "mongodb-2",
        {"app": "mongodb", "controller-revision-hash": "mongodb-r3"},
        False,
        "2026-03-02T07:45:12Z",
        CRASHING,
    )
    cluster.objects[("Pod", "mongodb-2")] = broken
    return cluster


@pytest.fixture
def run_module(capsys):
    """Run main() with these args against the cluster; return (failed, result)."""

    def run(cluster, check_mode=False, diff=False, **args):
        args = {"kind": "Deployment", "name": "web", "namespace": NS, "wait_sleep": 0, **args}
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        with (
            patch_module_args(args),
            mock.patch.object(rollout_module, "get_api_client", return_value=cluster),
            pytest.raises(SystemExit) as exited,
        ):
            rollout_module.main()
        result = json.loads(capsys.readouterr().out)
        assert (exited.value.code != 0) == bool(result.get("failed"))
        return result

    return run


def test_status_reports_revision_replicas_images_and_history(run_module):
    cluster = deployment_cluster()

    result = run_module(cluster)

    assert result["changed"] is False
    assert result["rollout"] == {
        "kind": "Deployment",
        "name": "web",
        "namespace": NS,
        "revision": 2,
        "replicas": {"desired": 3, "current": 3, "updated": 3, "ready": 3, "available": 3},
        "images": {"engine": "ghcr.io/botcore/engine:1.5"},
        "change_cause": "release 1.5",
        "complete": True,
        "message": "successfully rolled out",
        "history": [
            {"revision": 1, "images": {"engine": "ghcr.io/botcore/engine:1.4"}, "change_cause": "release 1.4"},
            {"revision": 2, "images": {"engine": "ghcr.io/botcore/engine:1.5"}, "change_cause": "release 1.5"},
        ],
        "last_good": None,
    }
    assert cluster.patches == []


def test_status_of_a_rollout_in_progress(run_module):
    result = run_module(broken_deployment_cluster())

    assert result["rollout"]["complete"] is False
    assert result["rollout"]["message"] == "1 of 3 replicas updated"
    assert result["rollout"]["revision"] == 2
    assert result["rollout"]["replicas"] == {"desired": 3, "current": 4, "updated": 1, "ready": 3, "available": 3}


def test_wait_fails_naming_object_revision_counts_and_newest_pod(run_module):
    result = run_module(broken_deployment_cluster(), wait=True, wait_timeout=0)

    assert result["failed"] is True
    assert result["msg"] == (
        "deployment web revision 2: 0 of 3 updated replicas ready after 0s; 1 of 3 replicas updated; "
        f"newest pod web-bbb-1 waiting: CrashLoopBackOff ({BROKEN_MESSAGE})"
    )
    assert result["rollout"]["complete"] is False


def test_wait_returns_once_the_rollout_completes(run_module):
    cluster = broken_deployment_cluster()

    def settle(cluster):
        if cluster.gets == 3:
            cluster.obj("Deployment", "web")["status"].update(replicas=3, updatedReplicas=3, availableReplicas=3)

    cluster.progress = settle

    result = run_module(cluster, wait=True, wait_timeout=60)

    assert "failed" not in result
    assert result["rollout"]["complete"] is True
    assert cluster.gets == 3
    assert isinstance(result["duration"], int)


def test_wait_fails_at_once_on_progress_deadline_exceeded(run_module):
    deadline = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": 'ReplicaSet "web-bbb" has timed out progressing.',
    }
    cluster = broken_deployment_cluster(conditions=[deadline])

    def no_second_look(cluster):
        if cluster.gets > 1:
            raise AssertionError("the wait went on polling after the progress deadline was exceeded")

    cluster.progress = no_second_look

    result = run_module(cluster, wait=True, wait_timeout=600)

    assert result["msg"].startswith(
        "deployment web revision 2: 0 of 3 updated replicas ready after 0s; "
        'ProgressDeadlineExceeded (ReplicaSet "web-bbb" has timed out progressing.); newest pod web-bbb-1 waiting'
    )


def test_restarted_patches_the_pod_template_annotation(run_module):
    cluster = deployment_cluster()

    result = run_module(cluster, state="restarted")

    assert result["changed"] is True
    restarted_at = result["restarted_at"]
    assert cluster.patches == [
        (
            "Deployment",
            "web",
            NS,
            {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": restarted_at}}}}},
            "application/strategic-merge-patch+json",
        )
    ]
    web = cluster.obj("Deployment", "web")
    assert web["spec"]["template"]["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": restarted_at}
    assert web["metadata"]["annotations"]["team"] == "trading"


def test_restarted_in_check_mode_with_diff_changes_nothing(run_module):
    cluster = deployment_cluster()

    result = run_module(cluster, state="restarted", check_mode=True, diff=True, wait=True)

    assert result["changed"] is True
    assert cluster.patches == []
    # No wait on a restart that did not happen: the only read is the initial one.
    assert cluster.gets == 1
    assert "duration" not in result
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert "annotations" not in before["spec"]["template"]["metadata"]
    assert after["spec"]["template"]["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": result["restarted_at"]
    }
    assert before["spec"]["template"]["spec"] == after["spec"]["template"]["spec"]


def test_restarted_refuses_a_paused_deployment(run_module):
    cluster = deployment_cluster()
    cluster.obj("Deployment", "web")["spec"]["paused"] = True

    result = run_module(cluster, state="restarted")

    assert result["msg"] == "deployment web is paused: resume it before a restart, or the change never rolls out"
    assert cluster.patches == []


def test_undone_restores_the_previous_template_and_keeps_other_annotations(run_module):
    cluster = broken_deployment_cluster()

    result = run_module(cluster, state="undone")

    assert result["changed"] is True
    assert result["from"] == {
        "revision": 2,
        "images": {"engine": "ghcr.io/botcore/engine:1.5-broken"},
        "change_cause": "release 1.5",
    }
    assert result["to"] == {
        "revision": 1,
        "images": {"engine": "ghcr.io/botcore/engine:1.4"},
        "change_cause": "release 1.4",
    }
    assert result["deleted_pods"] == []
    [(kind, name, namespace, body, content_type)] = cluster.patches
    assert (kind, name, namespace, content_type) == ("Deployment", "web", NS, "application/json-patch+json")
    assert body == [
        {"op": "replace", "path": "/spec/template", "value": template("ghcr.io/botcore/engine:1.4")},
        {"op": "add", "path": "/metadata/annotations/kubernetes.io~1change-cause", "value": "release 1.4"},
    ]
    web = cluster.obj("Deployment", "web")
    assert web["spec"]["template"] == template("ghcr.io/botcore/engine:1.4")
    assert web["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "2",
        "team": "trading",
        "kubernetes.io/change-cause": "release 1.4",
    }
    assert cluster.deleted == []


def test_undone_removes_the_change_cause_when_the_target_had_none(run_module):
    cluster = deployment_cluster()
    del cluster.obj("ReplicaSet", "web-aaa")["metadata"]["annotations"]["kubernetes.io/change-cause"]

    run_module(cluster, state="undone", to_revision=1)

    [patch] = cluster.patches
    assert patch[3][1] == {"op": "remove", "path": "/metadata/annotations/kubernetes.io~1change-cause"}
    assert "kubernetes.io/change-cause" not in cluster.obj("Deployment", "web")["metadata"]["annotations"]


def test_undone_in_check_mode_returns_from_to_and_diff_without_patching(run_module):
    cluster = broken_deployment_cluster()

    result = run_module(cluster, state="undone", check_mode=True, diff=True)

    assert result["changed"] is True
    assert cluster.patches == []
    assert result["to"]["revision"] == 1
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert before["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/botcore/engine:1.5-broken"
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/botcore/engine:1.4"
    assert before["metadata"] == {"annotations": {"kubernetes.io/change-cause": "release 1.5"}}
    assert after["metadata"] == {"annotations": {"kubernetes.io/change-cause": "release 1.4"}}
    assert "pod-template-hash" not in after["spec"]["template"]["metadata"]["labels"]


def test_undone_to_a_missing_revision_lists_the_available_ones(run_module):
    cluster = deployment_cluster()

    result = run_module(cluster, state="undone", to_revision=7)

    assert result["failed"] is True
    assert result["msg"] == "deployment web has no revision 7; available revisions: 1, 2"
    assert cluster.patches == []


def test_undone_to_the_current_revision_changes_nothing(run_module):
    cluster = deployment_cluster()

    result = run_module(cluster, state="undone", to_revision=2)

    assert result["changed"] is False
    assert result["msg"] == "deployment web already runs the template of revision 2"
    assert result["from"]["revision"] == result["to"]["revision"] == 2
    assert cluster.patches == []


def test_undone_without_an_older_revision_fails(run_module):
    cluster = deployment_cluster()
    del cluster.objects[("ReplicaSet", "web-aaa")]

    result = run_module(cluster, state="undone")

    assert result["msg"] == "deployment web has no revision before 2 to roll back to; available revisions: 2"


def test_a_wait_that_fails_after_the_rollback_still_reports_the_change(run_module):
    cluster = broken_deployment_cluster()
    # The replicas of revision 1 were already scaled away, so the rollback has to start them again.
    for index in range(3):
        del cluster.objects[("Pod", f"web-aaa-{index}")]

    result = run_module(cluster, state="undone", wait=True, wait_timeout=0)

    assert result["failed"] is True
    assert result["changed"] is True
    assert result["to"]["revision"] == 1
    assert result["msg"] == (
        "deployment web revision 1: 0 of 3 updated replicas ready after 0s; "
        "spec update not yet observed by the deployment controller; no pod of this revision exists yet"
    )


def test_statefulset_status_reads_controller_revisions(run_module):
    result = run_module(statefulset_cluster(), kind="StatefulSet", name="mongodb")

    rollout = result["rollout"]
    assert rollout["revision"] == 3
    assert rollout["images"] == {"mongo": "mongo:8.0.4-broken"}
    assert rollout["complete"] is False
    assert rollout["message"] == "2 of 3 replicas ready"
    assert [(entry["revision"], entry["change_cause"]) for entry in rollout["history"]] == [
        (1, "mongo 7.0.14"),
        (2, "mongo 8.0.3"),
        (3, "mongo 8.0.4"),
    ]


def test_statefulset_wait_failure_names_the_crashing_member(run_module):
    result = run_module(statefulset_cluster(), kind="StatefulSet", name="mongodb", wait=True, wait_timeout=0)

    assert result["msg"] == (
        "statefulset mongodb revision 3: 0 of 3 updated replicas ready after 0s; 2 of 3 replicas ready; "
        f"newest pod mongodb-2 waiting: CrashLoopBackOff ({BROKEN_MESSAGE})"
    )


def test_statefulset_undone_applies_the_revision_data_and_replaces_stuck_pods(run_module):
    cluster = statefulset_cluster()
    data = copy.deepcopy(cluster.obj("ControllerRevision", "mongodb-r1")["data"])

    result = run_module(cluster, kind="StatefulSet", name="mongodb", state="undone", to_revision=1)

    assert result["changed"] is True
    assert result["from"] == {"revision": 3, "images": {"mongo": "mongo:8.0.4-broken"}, "change_cause": "mongo 8.0.4"}
    assert result["to"] == {"revision": 1, "images": {"mongo": "mongo:7.0.14"}, "change_cause": "mongo 7.0.14"}
    assert result["deleted_pods"] == ["mongodb-2"]
    assert cluster.patches == [
        (
            "StatefulSet",
            "mongodb",
            NS,
            {**data, "metadata": {"annotations": {"kubernetes.io/change-cause": "mongo 7.0.14"}}},
            "application/strategic-merge-patch+json",
        )
    ]
    assert cluster.deleted == [("Pod", "mongodb-2", NS)]
    mongodb = cluster.obj("StatefulSet", "mongodb")
    assert mongodb["spec"]["template"] == template("mongo:7.0.14", app="mongodb", container="mongo")
    assert mongodb["metadata"]["annotations"]["checkov.io/skip1"] == "CKV_K8S_35=..."


def test_statefulset_undone_by_default_goes_to_the_revision_below_the_current_one(run_module):
    cluster = statefulset_cluster()

    result = run_module(cluster, kind="StatefulSet", name="mongodb", state="undone", check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["to"]["revision"] == 2
    assert result["deleted_pods"] == ["mongodb-2"]
    assert cluster.patches == []
    assert cluster.deleted == []
    assert result["diff"]["after"]["spec"]["template"]["spec"]["containers"][0]["image"] == "mongo:8.0.3"


def test_statefulset_undone_when_the_template_is_back_still_replaces_stuck_pods(run_module):
    cluster = statefulset_cluster()
    mongodb = cluster.obj("StatefulSet", "mongodb")
    mongodb["spec"]["template"] = template("mongo:8.0.3", app="mongodb", container="mongo")
    mongodb["status"]["updateRevision"] = "mongodb-r2"

    result = run_module(cluster, kind="StatefulSet", name="mongodb", state="undone", to_revision=2)

    assert result["changed"] is True
    assert cluster.patches == []
    assert cluster.deleted == [("Pod", "mongodb-2", NS)]


def test_to_revision_needs_state_undone(run_module):
    result = run_module(deployment_cluster(), to_revision=1)

    assert result["msg"] == "to_revision is only used with state=undone"


def test_a_missing_workload_is_named(run_module):
    result = run_module(deployment_cluster(), name="nope")

    assert result["msg"] == f"deployment nope not found in namespace {NS}"


def test_an_api_error_on_patch_is_reported(run_module):
    cluster = deployment_cluster()
    body = json.dumps({"message": "admission webhook denied the request"})
    error = ApiException(status=422, reason="Unprocessable Entity")
    error.body, error.headers = body, {"Content-Type": "application/json"}
    cluster.patch_error = UnprocessibleEntityError(error)

    result = run_module(cluster, state="restarted")

    assert result["msg"] == f"patching deployment web in namespace {NS} failed: admission webhook denied the request"


LAST_GOOD = "botcore.io/last-good-revision"
LIMIT_RANGE_REFUSAL = 'pods "web-bbb-x1" is forbidden: maximum cpu usage per Container is 1500m, but limit is 2'


def _no_second_look(cluster):
    if cluster.gets > 1:
        raise AssertionError("the wait went on polling after the pods were refused")


def test_a_refused_rollout_fails_at_once_quoting_the_refusal(run_module):
    refusal = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": LIMIT_RANGE_REFUSAL}
    cluster = broken_deployment_cluster(conditions=[refusal])
    del cluster.objects[("Pod", "web-bbb-1")]
    cluster.progress = _no_second_look

    result = run_module(cluster, wait=True, wait_timeout=600)

    assert result["msg"] == (
        "deployment web revision 2: 0 of 3 updated replicas ready after 0s; "
        f"pod creation refused: ReplicaFailure FailedCreate: {LIMIT_RANGE_REFUSAL}"
    )
    assert result["rollout"]["complete"] is False


def test_a_statefulset_refused_by_the_api_server_fails_at_once(run_module):
    cluster = statefulset_cluster()
    cluster.obj("StatefulSet", "mongodb")["metadata"]["managedFields"] = [
        {"manager": "botcore.platform", "operation": "Apply", "time": "2026-03-02T07:45:00Z"}
    ]
    del cluster.objects[("Pod", "mongodb-2")]
    message = (
        'create Pod mongodb-2 in StatefulSet mongodb failed error: pods "mongodb-2" is forbidden: violates PodSecurity'
    )
    for uid, name in (("uid-mongodb", "mongodb.1"), ("uid-other", "other.1")):
        cluster.objects[("Event", name)] = {
            "kind": "Event",
            "metadata": {"name": name, "namespace": NS},
            "involvedObject": {"kind": "StatefulSet", "uid": uid},
            "reason": "FailedCreate",
            "type": "Warning",
            "message": message if uid == "uid-mongodb" else "another object's",
            "lastTimestamp": "2026-03-02T07:45:03Z",
        }

    cluster.progress = _no_second_look

    result = run_module(cluster, kind="StatefulSet", name="mongodb", wait=True, wait_timeout=600)

    assert result["msg"] == (
        "statefulset mongodb revision 3: 0 of 3 updated replicas ready after 0s; "
        f"pod creation refused: FailedCreate: {message}"
    )


def _recorded(revision, name, image):
    return json.dumps({"images": {"engine": image}, "name": name, "revision": revision}, separators=(",", ":"))


def test_a_completed_wait_records_the_last_good_revision_once(run_module):
    cluster = deployment_cluster()

    first = run_module(cluster, wait=True, record_last_good=True)
    second = run_module(cluster, wait=True, record_last_good=True)

    assert first["changed"] is True
    assert cluster.patches == [
        (
            "Deployment",
            "web",
            NS,
            {"metadata": {"annotations": {LAST_GOOD: _recorded(2, "web-bbb", "ghcr.io/botcore/engine:1.5")}}},
            "application/merge-patch+json",
        )
    ]
    web = cluster.obj("Deployment", "web")
    assert web["metadata"]["generation"] == 5
    assert web["metadata"]["annotations"]["team"] == "trading"
    assert first["rollout"]["last_good"] == {
        "revision": 2,
        "recorded_revision": 2,
        "images": {"engine": "ghcr.io/botcore/engine:1.5"},
        "restorable": False,
    }
    assert second["changed"] is False


def test_record_last_good_in_check_mode_says_it_would_record(run_module):
    cluster = deployment_cluster()

    result = run_module(cluster, check_mode=True, wait=True, record_last_good=True)

    assert result["changed"] is True
    assert cluster.patches == []


def test_a_failed_wait_records_nothing(run_module):
    cluster = broken_deployment_cluster()

    result = run_module(cluster, wait=True, wait_timeout=0, record_last_good=True)

    assert result["failed"] is True
    assert cluster.patches == []
    assert LAST_GOOD not in cluster.obj("Deployment", "web")["metadata"]["annotations"]


def test_record_last_good_needs_wait(run_module):
    result = run_module(deployment_cluster(), record_last_good=True)

    assert result["msg"] == "record_last_good needs wait=true: only a rollout seen to complete is recorded"


def _broken_with_last_good(name="web-aaa", revision=1):
    """web at revision 2 (broken); revision 1 recorded as good, under the number it had then."""
    cluster = broken_deployment_cluster()
    cluster.obj("Deployment", "web")["metadata"]["annotations"][LAST_GOOD] = _recorded(
        revision, name, "ghcr.io/botcore/engine:1.4"
    )
    return cluster


def test_the_report_says_the_last_good_revision_can_be_restored(run_module):
    result = run_module(_broken_with_last_good())

    assert result["rollout"]["last_good"] == {
        "revision": 1,
        "recorded_revision": 1,
        "images": {"engine": "ghcr.io/botcore/engine:1.4"},
        "restorable": True,
    }


def test_undone_to_last_good_finds_it_by_name_after_a_renumbering(run_module):
    # Recorded as revision 4 before a rollback renumbered web-aaa to 1: the name is what identifies it.
    cluster = _broken_with_last_good(revision=4)
    cluster.objects[("ReplicaSet", "web-ccc")] = replicaset(3, "ghcr.io/botcore/engine:1.3", "ccc")
    # Revision 3 would be the target of a plain undo, since it is the highest below the current one.
    cluster.obj("ReplicaSet", "web-bbb")["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "5"
    cluster.obj("Deployment", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "5"

    result = run_module(cluster, state="undone", to_last_good=True)

    assert result["changed"] is True
    assert result["to"] == {
        "revision": 1,
        "images": {"engine": "ghcr.io/botcore/engine:1.4"},
        "change_cause": "release 1.4",
    }
    assert cluster.obj("Deployment", "web")["spec"]["template"] == template("ghcr.io/botcore/engine:1.4")


def test_undone_to_last_good_without_a_record_fails(run_module):
    cluster = broken_deployment_cluster()

    result = run_module(cluster, state="undone", to_last_good=True)

    assert (
        result["msg"] == "deployment web has no last good revision recorded (annotation botcore.io/last-good-revision)"
    )
    assert cluster.patches == []


def test_undone_to_a_last_good_revision_no_longer_kept_fails(run_module):
    cluster = _broken_with_last_good(name="web-gone")

    result = run_module(cluster, state="undone", to_last_good=True)

    assert (
        result["msg"]
        == "deployment web: its last good revision 1 (web-gone) is no longer kept; available revisions: 1, 2"
    )
    assert cluster.patches == []


def test_an_annotation_that_is_not_a_record_counts_as_none(run_module):
    cluster = broken_deployment_cluster()
    cluster.obj("Deployment", "web")["metadata"]["annotations"][LAST_GOOD] = "revision 1"

    result = run_module(cluster)

    assert result["rollout"]["last_good"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"to_last_good": True}, "to_last_good is only used with state=undone"),
        (
            {"state": "undone", "to_last_good": True, "to_revision": 1},
            "parameters are mutually exclusive: to_revision|to_last_good",
        ),
    ],
)
def test_to_last_good_is_an_undo_option_of_its_own(run_module, args, message):
    result = run_module(deployment_cluster(), **args)

    assert result["msg"] == message


@pytest.fixture
def slice_over():
    """Every wait slice ends at its first look: the module returns pending and resume unless the rollout is done."""
    with mock.patch.object(rollout_module, "slice_end", return_value=float("-inf")):
        yield


def test_a_restart_still_rolling_out_at_the_end_of_a_slice_resumes_without_a_second_restart(run_module, slice_over):
    cluster = deployment_cluster()

    first = run_module(cluster, state="restarted", wait=True, progress_interval=1)

    assert "failed" not in first and "duration" not in first
    assert first["pending"] == [
        {
            "kind": "Deployment",
            "name": "web",
            "namespace": NS,
            "revision": 2,
            "ready": 0,
            "desired": 3,
            "message": "spec update not yet observed by the deployment controller",
            "newest_pod": None,
            "waited": 0,
            "timeout": 120,
        }
    ]
    assert first["resume"]["result"] == {"changed": True, "restarted_at": first["restarted_at"]}
    cluster.obj("Deployment", "web")["status"]["observedGeneration"] = 6

    done = run_module(cluster, state="restarted", wait=True, progress_interval=1, resume=first["resume"])

    assert "failed" not in done and "pending" not in done and "resume" not in done
    assert (done["changed"], done["restarted_at"], done["rollout"]["complete"]) == (True, first["restarted_at"], True)
    assert len(cluster.patches) == 1


def test_a_resumed_wait_fails_once_the_slices_add_up_to_the_timeout(run_module, slice_over):
    cluster = broken_deployment_cluster()
    resume = {"waited": 100.0, "at": time.time() - 30, "result": {"changed": True, "restarted_at": "2026-03-02"}}

    result = run_module(cluster, state="restarted", wait=True, wait_timeout=120, resume=resume)

    assert result["failed"] is True
    assert result["msg"].startswith("deployment web revision 2: 0 of 3 updated replicas ready after 130s;")
    assert (result["changed"], result["restarted_at"], cluster.patches) == (True, "2026-03-02", [])
