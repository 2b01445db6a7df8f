# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pieces of module_utils/rollout.py that the module tests reach only in part: selectors, pod problems,
completion rules of both kinds, the wait loop's clock."""

from __future__ import annotations

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.rollout import (
    Deployment,
    RolloutError,
    StatefulSet,
    Unfinished,
    pod_problem,
    selector_string,
    slice_end,
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


LIMIT_RANGE_REFUSAL = 'pods "web-abc-x1" is forbidden: maximum cpu usage per Container is 1500m, but limit is 2'
QUOTA_REFUSAL = (
    'pods "web-abc-x2" is forbidden: exceeded quota: bot-core-quota, requested: requests.cpu=1, used: requests.cpu=8,'
    " limited: requests.cpu=8"
)


def _replica_failure(message):
    return {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": message}


def test_a_refused_deployment_fails_at_once_with_the_reason():
    workload = deployment(replicas=0, updatedReplicas=0, conditions=[_replica_failure(LIMIT_RANGE_REFUSAL)])

    progress = workload.progress()

    assert (progress.complete, progress.failed) == (False, True)
    assert progress.message == f"pod creation refused: ReplicaFailure FailedCreate: {LIMIT_RANGE_REFUSAL}"


@pytest.mark.parametrize(
    ("status", "failed"),
    [
        # Three old replicas remain: scaling them down frees the quota the new ones need.
        ({"replicas": 4, "updatedReplicas": 1}, False),
        # Nothing left to go away: the quota is simply too small.
        ({"replicas": 1, "updatedReplicas": 1}, True),
    ],
)
def test_a_quota_refusal_is_waited_out_only_while_old_replicas_remain(status, failed):
    workload = deployment(conditions=[_replica_failure(QUOTA_REFUSAL)], **status)

    progress = workload.progress()

    assert progress.failed is failed
    assert QUOTA_REFUSAL in progress.message


def test_a_refusal_of_a_generation_not_yet_observed_is_not_this_rollouts():
    workload = deployment(generation=3, conditions=[_replica_failure(LIMIT_RANGE_REFUSAL)])

    progress = workload.progress()

    assert progress.failed is False
    assert progress.message == "spec update not yet observed by the deployment controller"


def test_a_condition_that_is_not_true_is_no_refusal():
    condition = {**_replica_failure(LIMIT_RANGE_REFUSAL), "status": "False"}
    workload = deployment(replicas=3, updatedReplicas=1, availableReplicas=3, conditions=[condition])

    assert workload.progress().failed is False


def test_a_refused_rollout_fails_the_wait_on_the_first_look_and_says_why():
    workload = deployment(
        replicas=3, updatedReplicas=0, availableReplicas=3, conditions=[_replica_failure(LIMIT_RANGE_REFUSAL)]
    )
    ticks = iter([100.0, 101.0])

    with pytest.raises(RolloutError) as failure:
        workload.wait(timeout=600, sleep=5, clock=lambda: next(ticks), pause=pytest.fail)

    # The reason replaces "no pod of this revision exists yet": it says why none exists.
    assert str(failure.value) == (
        "deployment web new revision (not recorded yet): 0 of 3 updated replicas ready after 1s; "
        f"pod creation refused: ReplicaFailure FailedCreate: {LIMIT_RANGE_REFUSAL}"
    )


def _statefulset_refused(event, written="2026-03-02T07:45:12Z"):
    obj = {
        "metadata": {
            "name": "db",
            "uid": "u",
            "generation": 2,
            "managedFields": [
                {"manager": "botcore.platform", "operation": "Apply", "time": written},
                # The controller's status writes are later, and say nothing of when the template changed.
                {"manager": "kube-controller-manager", "subresource": "status", "time": "2026-03-02T09:00:00Z"},
            ],
        },
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "db"}}, "template": {}},
        "status": {"observedGeneration": 2, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 2},
    }
    return StatefulSet(StubApi(obj, events=[event]), "db", "ns")


STATEFULSET_REFUSAL = (
    'create Pod db-2 in StatefulSet db failed error: pods "db-2" is forbidden: maximum cpu usage per Container is '
    "1500m, but limit is 2"
)


@pytest.mark.parametrize(
    "event",
    [
        {"message": STATEFULSET_REFUSAL, "count": 11, "lastTimestamp": "2026-03-02T07:45:14Z"},
        # An events.k8s.io event read through core/v1: eventTime, and series once it repeats.
        {"message": STATEFULSET_REFUSAL, "eventTime": "2026-03-02T07:45:13.482113Z"},
        {
            "message": STATEFULSET_REFUSAL,
            "eventTime": "2026-03-02T07:40:00.000000Z",
            "series": {"count": 4, "lastObservedTime": "2026-03-02T07:45:20.000000Z"},
        },
    ],
)
def test_a_statefulset_whose_pods_are_refused_after_its_last_write_fails(event):
    progress = _statefulset_refused(event).progress()

    assert progress.failed is True
    assert progress.message == f"pod creation refused: FailedCreate: {STATEFULSET_REFUSAL}"


@pytest.mark.parametrize("last", ["2026-03-02T07:45:12Z", "2026-03-02T07:30:00Z"])
def test_a_refusal_from_before_the_statefulsets_last_write_is_an_earlier_templates(last):
    progress = _statefulset_refused({"message": STATEFULSET_REFUSAL, "lastTimestamp": last}).progress()

    assert progress.failed is False
    assert progress.message == "2 of 3 replicas ready"


def test_a_wait_slice_that_ends_first_returns_where_the_rollout_stands():
    workload = deployment(replicas=3, updatedReplicas=1, availableReplicas=3)
    # The wait resumes after 40.5 s; the slice ends at 110, before the timeout of 60 s.
    ticks = iter([100.0, 100.0, 105.0, 110.0])
    pauses = []

    with pytest.raises(Unfinished) as unfinished:
        workload.wait(timeout=60, sleep=8, waited=40.5, until=110.0, clock=lambda: next(ticks), pause=pauses.append)

    # The pause before the slice's end is cut short to it.
    assert pauses == [8, 5]
    assert unfinished.value.waited == 50.5
    assert unfinished.value.state == {
        "kind": "Deployment",
        "name": "web",
        "namespace": "ns",
        "revision": None,
        "ready": 0,
        "desired": 3,
        "message": "1 of 3 replicas updated",
        "newest_pod": None,
        "waited": 50,
        "timeout": 60,
    }


def test_the_timeout_counts_the_seconds_waited_in_earlier_slices():
    workload = deployment(replicas=3, updatedReplicas=1, availableReplicas=3)
    ticks = iter([100.0, 100.0, 102.0])

    with pytest.raises(RolloutError) as failure:
        workload.wait(timeout=60, sleep=8, waited=58.0, until=130.0, clock=lambda: next(ticks), pause=lambda s: None)

    assert "0 of 3 updated replicas ready after 60s" in str(failure.value)


def test_a_rollout_that_completes_within_the_slice_returns_the_seconds_waited_in_all():
    workload = deployment(replicas=3, updatedReplicas=3, availableReplicas=3)

    assert workload.wait(timeout=60, sleep=8, waited=30.0, until=130.0, clock=lambda: 100.0, pause=pytest.fail) == 30


def test_no_slice_end_without_a_progress_interval():
    assert slice_end({"progress_interval": 0}, clock=lambda: 100.0) is None
    assert slice_end({"progress_interval": 30}, clock=lambda: 100.0) == 130.0
