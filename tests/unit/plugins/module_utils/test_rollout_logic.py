# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pieces of module_utils/rollout.py that the module tests reach only in part: selectors, pod problems,
completion rules of both kinds, the wait loop's clock."""

from __future__ import annotations

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.rollout import (
    Deployment,
    RolloutError,
    StatefulSet,
    pod_problem,
    selector_string,
)


class StubApi:
    """Serves one workload, its ReplicaSets and events; no pods."""

    def __init__(self, obj, replicasets=(), events=()):
        self.obj = obj
        self.replicasets = list(replicasets)
        self.events = list(events)

    def get(self, kind, name, namespace):
        return self.obj

    def list(self, kind, namespace, label_selector=None, field_selector=None):
        return {"ReplicaSet": self.replicasets, "Event": self.events}.get(kind, [])


def deployment(generation=2, template=None, replicasets=(), **status):
    return Deployment(
        StubApi(
            {
                "metadata": {"name": "web", "uid": "u", "generation": generation},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template or {}},
                "status": {"observedGeneration": 2, **status},
            },
            replicasets,
        ),
        "web",
        "ns",
    )


def statefulset(strategy=None, **status):
    return StatefulSet(
        StubApi(
            {
                "metadata": {"name": "db", "uid": "u", "generation": 2},
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app": "db"}},
                    "template": {},
                    "updateStrategy": strategy or {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                },
                "status": {"observedGeneration": 2, "currentRevision": "db-a", "updateRevision": "db-a", **status},
            }
        ),
        "db",
        "ns",
    )


def test_selector_string_renders_labels_and_expressions():
    selector = {
        "matchLabels": {"tier": "core", "app": "web"},
        "matchExpressions": [
            {"key": "track", "operator": "In", "values": ["stable", "canary"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "owner", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }

    assert selector_string(selector) == "app=web,tier=core,track in (stable,canary),env notin (dev),owner,!legacy"


def _pod(status, **metadata):
    return {"metadata": {"name": "p", **metadata}, "status": status}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            {
                "containerStatuses": [
                    {"name": "c", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}
                ]
            },
            "waiting: ImagePullBackOff",
        ),
        (
            {
                "initContainerStatuses": [
                    {"name": "init", "ready": False, "state": {"terminated": {"reason": "Error", "exitCode": 1}}}
                ],
                "containerStatuses": [
                    {"name": "c", "ready": False, "state": {"waiting": {"reason": "PodInitializing"}}}
                ],
            },
            "terminated: Error, exit code 1",
        ),
        (
            {"containerStatuses": [{"name": "c", "ready": False, "state": {"running": {}}}]},
            "container c running but not ready",
        ),
        (
            {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/3 nodes are available: 3 Insufficient cpu.",
                    }
                ],
            },
            "PodScheduled is False: Unschedulable (0/3 nodes are available: 3 Insufficient cpu.)",
        ),
        ({"phase": "Pending"}, "phase Pending"),
        ({}, "phase unknown"),
    ],
)
def test_pod_problem_says_why_a_pod_is_not_ready(status, expected):
    assert pod_problem(_pod(status)) == expected


def test_pod_problem_of_a_terminating_pod():
    assert pod_problem(_pod({"phase": "Running"}, deletionTimestamp="2026-03-02T07:45:12Z")) == "terminating"


def test_pod_problem_shortens_long_messages():
    state = {"waiting": {"reason": "CrashLoopBackOff", "message": "x" * 500}}
    problem = pod_problem(_pod({"containerStatuses": [{"name": "c", "ready": False, "state": state}]}))

    assert problem == "waiting: CrashLoopBackOff (" + "x" * 197 + "...)"


@pytest.mark.parametrize(
    ("workload", "complete", "message"),
    [
        (deployment(generation=3), False, "spec update not yet observed by the deployment controller"),
        (deployment(replicas=4, updatedReplicas=3, availableReplicas=3), False, "1 old replicas pending termination"),
        (deployment(replicas=3, updatedReplicas=3, availableReplicas=2), False, "2 of 3 updated replicas available"),
        (deployment(replicas=3, updatedReplicas=3, availableReplicas=3), True, "successfully rolled out"),
        (statefulset(observedGeneration=0), False, "spec update not yet observed by the statefulset controller"),
        (statefulset(readyReplicas=3, updatedReplicas=3), True, "successfully rolled out"),
        (
            statefulset(readyReplicas=3, updatedReplicas=3, currentRevision="db-old"),
            False,
            "rolling update still settling on the new revision",
        ),
        (
            statefulset(
                {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}, readyReplicas=3, updatedReplicas=0
            ),
            False,
            "0 of 1 replicas updated",
        ),
        (
            statefulset(
                {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
                readyReplicas=3,
                updatedReplicas=1,
                currentRevision="db-old",
            ),
            True,
            "successfully rolled out",
        ),
        (
            statefulset({"type": "OnDelete"}, readyReplicas=3, updatedReplicas=1),
            False,
            "1 of 3 replicas updated (OnDelete: pods change when deleted)",
        ),
        (statefulset({"type": "OnDelete"}, readyReplicas=3, updatedReplicas=3), True, "successfully rolled out"),
    ],
)
def test_completion_rules(workload, complete, message):
    progress = workload.progress()

    assert (progress.complete, progress.message, progress.failed) == (complete, message, False)


def test_wait_polls_until_the_timeout_and_reports_the_elapsed_time():
    workload = deployment(replicas=3, updatedReplicas=1, availableReplicas=3)
    ticks = iter([100.0, 100.0, 105.2, 110.4, 112.0])
    pauses = []

    with pytest.raises(RolloutError) as failure:
        workload.wait(timeout=12, sleep=5, clock=lambda: next(ticks), pause=pauses.append)

    # The last pause is cut short so the final check happens at the deadline, not after it.
    assert pauses == [5, 5, 2]
    assert str(failure.value) == (
        "deployment web new revision (not recorded yet): 0 of 3 updated replicas ready after 12s; "
        "1 of 3 replicas updated; no pod of this revision exists yet"
    )
    assert failure.value.result["rollout"]["complete"] is False


def test_templates_that_differ_only_in_null_fields_are_the_same_revision():
    replicaset = {
        "metadata": {
            "name": "web-abc",
            "annotations": {"deployment.kubernetes.io/revision": "7"},
            "ownerReferences": [{"uid": "u"}],
        },
        "spec": {"template": {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}}},
    }
    template = {"metadata": {"labels": {"app": "web"}, "creationTimestamp": None}}

    assert deployment(template=template, replicasets=[replicaset]).revision_number == 7
