# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply engine's superseded objects: MongoDB's replica-set Jobs of earlier inputs go, and are gone, before the
run writes anything (against an in-memory API of the dynamic client's shape)."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.botcore.platform.plugins.module_utils.apply import ApplyError, Engine
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ForbiddenError, NotFoundError

PARAMS = {"field_manager": "botcore-platform", "prune": True, "tooling": "botcore.platform/1", "wait_sleep": 0}
SELECTOR = {"api_version": "batch/v1", "kind": "Job", "namespace": "prod", "label_selector": "app=mongodb-rs-init"}


def job(name, app="mongodb-rs-init"):
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "prod", "labels": {"app": app}},
    }


class Instance:
    def __init__(self, data):
        self._data = copy.deepcopy(data)

    def to_dict(self):
        return copy.deepcopy(self._data)


class Jobs:
    """The Jobs of namespace prod; a deleted one stays ``lingers`` reads (its pods going first), then is gone."""

    group_version = "batch/v1"
    kind = "Job"

    def __init__(self, *jobs, lingers=0, forbidden=False):
        self.jobs = {obj["metadata"]["name"]: obj for obj in jobs}
        self.lingers, self.forbidden = lingers, forbidden
        self.deleted, self.dry_runs, self.reads = [], [], 0
        self.deleting = {}

    def resource(self, kind, api_version):
        assert (kind, api_version) == ("Job", "batch/v1")
        return self

    def get(self, name=None, namespace=None, label_selector=None):
        if name is None:
            app = label_selector.removeprefix("app=")
            return Instance({"items": [j for j in self.jobs.values() if j["metadata"]["labels"]["app"] == app]})
        self.reads += 1
        if name not in self.jobs:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        if self.deleting.get(name, 0) <= 0:
            del self.jobs[name]
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        self.deleting[name] -= 1
        return Instance(self.jobs[name])

    def delete(self, name, namespace, propagation_policy, dry_run=None):
        if self.forbidden:
            raise ForbiddenError(ApiException(status=403, reason="Forbidden"))
        assert (namespace, propagation_policy) == ("prod", "Foreground")
        if dry_run:
            self.dry_runs.append(name)
            return
        self.deleted.append(name)
        self.deleting[name] = self.lingers


def supersede(cluster, rendered, check_mode=False, wait_timeout=600):
    engine = Engine(cluster, {**PARAMS, "wait_timeout": wait_timeout}, check_mode=check_mode)
    applyset = engine._applyset(
        {"name": "mongodb", "namespace": "prod", "objects": [job(name) for name in rendered], "superseded": [SELECTOR]}
    )
    try:
        engine._supersede([applyset])
    finally:
        engine.pool.shutdown()
    return engine.result


def test_the_jobs_of_earlier_inputs_are_deleted_and_gone_before_the_run_goes_on():
    cluster = Jobs(job("mongodb-rs-init-aaa"), job("mongodb-rs-init-bbb"), job("backup", app="backup"), lingers=2)
    result = supersede(cluster, rendered=["mongodb-rs-init-bbb"])
    assert cluster.deleted == ["mongodb-rs-init-aaa"]
    assert sorted(cluster.jobs) == ["backup", "mongodb-rs-init-bbb"]
    assert result["changed"] is True
    assert result["pruned"] == [
        {"component": "mongodb", "kind": "Job", "name": "mongodb-rs-init-aaa", "namespace": "prod"}
    ]


def test_the_job_of_the_current_inputs_alone_changes_nothing():
    cluster = Jobs(job("mongodb-rs-init-bbb"))
    result = supersede(cluster, rendered=["mongodb-rs-init-bbb"])
    assert (cluster.deleted, result["changed"], result["pruned"]) == ([], False, [])


def test_check_mode_says_which_would_go_and_deletes_nothing():
    cluster = Jobs(job("mongodb-rs-init-aaa"), job("mongodb-rs-init-bbb"))
    result = supersede(cluster, rendered=["mongodb-rs-init-bbb"], check_mode=True)
    assert (cluster.deleted, cluster.dry_runs) == ([], ["mongodb-rs-init-aaa"])
    assert sorted(cluster.jobs) == ["mongodb-rs-init-aaa", "mongodb-rs-init-bbb"]
    assert [entry["name"] for entry in result["pruned"]] == ["mongodb-rs-init-aaa"]


def test_a_job_still_there_at_the_timeout_fails_the_run_naming_it():
    cluster = Jobs(job("mongodb-rs-init-aaa"), lingers=10**6)
    with pytest.raises(ApplyError, match=r"mongodb: Job/mongodb-rs-init-aaa, superseded, is still there after 0s"):
        supersede(cluster, rendered=["mongodb-rs-init-bbb"], wait_timeout=0)


def test_a_refused_delete_fails_the_run_naming_the_job():
    cluster = Jobs(job("mongodb-rs-init-aaa"), forbidden=True)
    with pytest.raises(ApplyError, match=r"mongodb: deleting Job/mongodb-rs-init-aaa, superseded, failed: 403"):
        supersede(cluster, rendered=["mongodb-rs-init-bbb"])
