# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""botcore.platform.deploy_lock: the lock's decisions through run() on a fake clock, and main()'s input checks,
against an in-memory Lease store that enforces resourceVersion like the API server; and botcore.platform.apply's
renewal of the lock it writes under."""

from __future__ import annotations

import copy
import json
import os
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.botcore.platform.plugins.module_utils import deploy_lock as lock
from ansible_collections.botcore.platform.plugins.modules import apply as apply_module
from ansible_collections.botcore.platform.plugins.modules import deploy_lock as lock_module
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

T0 = 1_800_000_000.0  # the fake clock's start
NAME = "botcore-platform-deploy-bot-core-production"


class Instance:
    def __init__(self, data):
        self._data = copy.deepcopy(data)

    def to_dict(self):
        return copy.deepcopy(self._data)


class Leases:
    """The Lease resource of kubernetes.core's K8SClient, in memory: create fails on an existing name, replace and
    delete on a stale resourceVersion. ``before_write`` runs once before the next write (another run's write)."""

    def __init__(self):
        self.objects = {}
        self.version = 0
        self.writes = 0
        self.before_write = None

    def resource(self, kind, api_version):
        assert (kind, api_version) == ("Lease", "coordination.k8s.io/v1")
        return self

    def _write(self):
        hook, self.before_write = self.before_write, None
        if hook:
            hook()
        self.writes += 1
        self.version += 1
        return str(self.version)

    def get(self, name, namespace):
        if (namespace, name) not in self.objects:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        return Instance(self.objects[namespace, name])

    def create(self, body, namespace):
        rv = self._write()
        key = (namespace, body["metadata"]["name"])
        if key in self.objects:
            raise ConflictError(ApiException(status=409, reason="AlreadyExists"))
        obj = copy.deepcopy(body)
        obj["metadata"].update(namespace=namespace, uid=f"uid-{rv}", resourceVersion=rv)
        self.objects[key] = obj
        return Instance(obj)

    def replace(self, body, name, namespace):
        rv = self._write()
        current = self.objects.get((namespace, name))
        if current is None:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        if body["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]:
            raise ConflictError(ApiException(status=409, reason="Conflict"))
        obj = copy.deepcopy(body)
        obj["metadata"]["resourceVersion"] = rv
        self.objects[namespace, name] = obj
        return Instance(obj)

    def delete(self, name, namespace, body):
        self._write()
        current = self.objects.get((namespace, name))
        if current is None:
            raise NotFoundError(ApiException(status=404, reason="Not Found"))
        if body["preconditions"] != {k: current["metadata"][k] for k in ("uid", "resourceVersion")}:
            raise ConflictError(ApiException(status=409, reason="Conflict"))
        del self.objects[namespace, name]
        return Instance({"status": "Success"})

    def lease(self):
        return self.objects.get(("default", NAME))


class Clock:
    def __init__(self):
        self.now = T0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def params(**overrides):
    base = {
        "namespace": "bot-core-production",
        "state": "acquired",
        "holder": "ops@runner:100",
        "job": "site.yml",
        "lease_duration": 120,
        "wait_timeout": 30,
        "wait_sleep": 5,
        "break": False,
        "lock_namespace": "default",
        "lock_name": NAME,
    }
    return {**base, **overrides}


# The lock of a module that writes under it, as the apply module's argument spec gives it to renew().
WRITER_LOCK = {
    "holder": "ops@runner:100",
    "namespace": "bot-core-production",
    "lease_duration": 300,
    "lock_namespace": "default",
    "lock_name": None,
}


def acquire(leases, clock, check_mode=False, **overrides):
    return lock.run(lock.Api(leases), params(**overrides), check_mode, clock=clock, sleep=clock.sleep)


@pytest.fixture
def leases():
    return Leases()


@pytest.fixture
def clock():
    return Clock()


def test_a_free_lock_is_created_with_holder_job_and_duration(leases, clock):
    result = acquire(leases, clock)
    assert result["changed"] is True
    assert result["operation"] == "create"
    spec = leases.lease()["spec"]
    assert spec["holderIdentity"] == "ops@runner:100"
    assert spec["leaseDurationSeconds"] == 120
    assert spec["acquireTime"] == spec["renewTime"] == lock.format_time(lock.datetime.fromtimestamp(T0, lock.UTC))
    assert leases.lease()["metadata"]["annotations"] == {"botcore.platform/job": "site.yml"}
    assert leases.lease()["metadata"]["labels"]["botcore.platform/namespace"] == "bot-core-production"
    assert result["expires"] == lock.format_time(lock.datetime.fromtimestamp(T0 + 120, lock.UTC))
    assert clock.sleeps == []


def test_acquiring_a_lock_we_hold_renews_it(leases, clock):
    acquire(leases, clock)
    acquired = leases.lease()["spec"]["acquireTime"]
    clock.now += 60
    result = acquire(leases, clock)
    assert result["operation"] == "renew"
    assert leases.lease()["spec"]["acquireTime"] == acquired
    assert leases.lease()["spec"]["renewTime"] > acquired


def test_a_held_lock_is_waited_for_then_fails_naming_holder_job_and_times(leases, clock):
    acquire(leases, clock, holder="alice@laptop:7", job="AWX job 41")
    with pytest.raises(lock.LockError) as failed:
        acquire(leases, clock, wait_timeout=30)
    message = str(failed.value)
    assert "held by alice@laptop:7 (job AWX job 41)" in message
    assert f"taken {lock.format_time(lock.datetime.fromtimestamp(T0, lock.UTC))}" in message
    assert f"expires {lock.format_time(lock.datetime.fromtimestamp(T0 + 120, lock.UTC))}" in message
    assert "waited 30s" in message and "break=true" in message
    assert sum(clock.sleeps) == 30
    assert failed.value.result["holder"] == "alice@laptop:7"
    assert leases.lease()["spec"]["holderIdentity"] == "alice@laptop:7"


def test_wait_timeout_zero_fails_without_waiting(leases, clock):
    acquire(leases, clock, holder="alice@laptop:7")
    with pytest.raises(lock.LockError, match="held by alice@laptop:7"):
        acquire(leases, clock, wait_timeout=0)
    assert clock.sleeps == []


def test_a_lock_that_expires_during_the_wait_is_taken_over(leases, clock):
    acquire(leases, clock, holder="alice@laptop:7")
    clock.now += 100  # 20s of alice's lease remain
    result = acquire(leases, clock, wait_timeout=60)
    assert result["operation"] == "take_over"
    assert result["waited"] == 20
    assert result["previous"]["holder"] == "alice@laptop:7"
    spec = leases.lease()["spec"]
    assert spec["holderIdentity"] == "ops@runner:100"
    assert spec["leaseTransitions"] == 1
    assert spec["acquireTime"] == lock.format_time(lock.datetime.fromtimestamp(T0 + 120, lock.UTC))


def test_an_expired_lock_of_a_killed_run_is_taken_over_at_once(leases, clock):
    acquire(leases, clock, holder="killed@runner:9", job="old job")
    clock.now += 121
    result = acquire(leases, clock, job=None)
    assert result["operation"] == "take_over"
    assert clock.sleeps == []
    assert "annotations" not in leases.lease()["metadata"] or not leases.lease()["metadata"]["annotations"]


def test_of_two_racing_creates_exactly_one_wins(leases, clock):
    leases.before_write = lambda: acquire(leases, clock, holder="bob@runner:8")
    with pytest.raises(lock.LockError, match="held by bob@runner:8"):
        acquire(leases, clock)
    assert leases.lease()["spec"]["holderIdentity"] == "bob@runner:8"


def test_of_two_racing_take_overs_exactly_one_wins(leases, clock):
    acquire(leases, clock, holder="killed@runner:9")
    clock.now += 200
    leases.before_write = lambda: acquire(leases, clock, holder="bob@runner:8")
    with pytest.raises(lock.LockError, match="held by bob@runner:8"):
        acquire(leases, clock, wait_timeout=0)
    assert leases.lease()["spec"]["holderIdentity"] == "bob@runner:8"
    assert leases.lease()["spec"]["leaseTransitions"] == 1


def test_renewing_our_lock_moves_its_expiry(leases, clock):
    acquire(leases, clock)
    clock.now += 100
    result = acquire(leases, clock, state="renewed")
    assert result["operation"] == "renew"
    assert result["expires"] == lock.format_time(lock.datetime.fromtimestamp(T0 + 220, lock.UTC))


def test_renewing_a_lock_taken_over_by_another_run_fails(leases, clock):
    acquire(leases, clock)
    clock.now += 121
    acquire(leases, clock, holder="bob@runner:8")
    with pytest.raises(lock.LockError, match="no longer held by ops@runner:100: it is held by bob@runner:8"):
        acquire(leases, clock, state="renewed")


def test_renewing_a_broken_lock_fails(leases, clock):
    with pytest.raises(lock.LockError, match="is gone"):
        acquire(leases, clock, state="renewed")


def test_renew_of_a_writer_moves_the_expiry_of_the_lock_it_holds(leases, clock):
    acquire(leases, clock)
    clock.now += 100
    writes = leases.writes
    result = lock.renew(lock.Api(leases), WRITER_LOCK, clock=clock)
    assert (result["operation"], leases.writes) == ("renew", writes + 1)
    assert result["expires"] == lock.format_time(lock.datetime.fromtimestamp(T0 + 400, lock.UTC))


def test_renew_of_a_writer_fails_when_another_run_holds_the_lock(leases, clock):
    acquire(leases, clock, holder="bob@runner:8")
    with pytest.raises(lock.LockError, match="held by bob@runner:8"):
        lock.renew(lock.Api(leases), WRITER_LOCK, clock=clock)
    assert leases.lease()["spec"]["holderIdentity"] == "bob@runner:8"


def test_releasing_our_lock_deletes_it(leases, clock):
    acquire(leases, clock)
    result = acquire(leases, clock, state="released")
    assert (result["changed"], result["operation"]) == (True, "release")
    assert leases.lease() is None


def test_releasing_no_lock_changes_nothing(leases, clock):
    result = acquire(leases, clock, state="released")
    assert (result["changed"], result["operation"]) == (False, "nothing")
    assert leases.writes == 0


def test_releasing_another_runs_lock_fails_and_keeps_it(leases, clock):
    acquire(leases, clock, holder="alice@laptop:7")
    with pytest.raises(lock.LockError, match=r"held by alice@laptop:7.*left alone\. Set break=true"):
        acquire(leases, clock, state="released")
    assert leases.lease()["spec"]["holderIdentity"] == "alice@laptop:7"


def test_break_deletes_another_runs_lock(leases, clock):
    acquire(leases, clock, holder="alice@laptop:7")
    result = acquire(leases, clock, state="released", **{"break": True})
    assert result["operation"] == "break"
    assert result["previous"]["holder"] == "alice@laptop:7"
    assert leases.lease() is None


def test_a_release_that_races_a_take_over_deletes_nothing(leases, clock):
    acquire(leases, clock)
    clock.now += 121
    leases.before_write = lambda: acquire(leases, clock, holder="bob@runner:8")
    with pytest.raises(lock.LockError, match="held by bob@runner:8"):
        acquire(leases, clock, state="released")
    assert leases.lease()["spec"]["holderIdentity"] == "bob@runner:8"


@pytest.mark.parametrize(
    ("setup", "overrides", "action"),
    [
        (None, {}, "create"),
        ("alice@laptop:7", {}, "wait"),
        ("alice@laptop:7", {"state": "released", "break": True}, "break"),
        ("ops@runner:100", {"state": "released"}, "release"),
        ("ops@runner:100", {"state": "renewed"}, "renew"),
    ],
)
def test_check_mode_reports_the_action_and_writes_nothing(leases, clock, setup, overrides, action):
    if setup:
        acquire(leases, clock, holder=setup)
    before = copy.deepcopy(leases.objects)
    writes = leases.writes
    result = acquire(leases, clock, check_mode=True, **overrides)
    assert result["operation"] == action
    assert result["changed"] is (action != "wait")
    assert (leases.objects, leases.writes, clock.sleeps) == (before, writes, [])


def test_times_from_the_api_server_parse_with_and_without_fraction():
    assert lock.parse_time("2026-12-01T12:00:00Z") == lock.parse_time("2026-12-01T12:00:00.000000Z")
    assert lock.parse_time(None) is None


# --- main(): the checks made before any API call -------------------------------------------------


@pytest.fixture
def run_module(capsys):
    def run(cluster, **args):
        args = {"namespace": "bot-core-production", "wait_sleep": 1, "wait_timeout": 0, **args}
        with (
            patch_module_args(args),
            mock.patch.object(lock_module, "get_api_client", return_value=cluster),
            pytest.raises(SystemExit) as exited,
        ):
            lock_module.main()
        result = json.loads(capsys.readouterr().out)
        assert (exited.value.code != 0) == bool(result.get("failed"))
        return result

    return run


def test_main_takes_the_lock_as_user_host_pid_in_the_default_namespace(run_module, leases):
    result = run_module(leases, job="site.yml")
    assert result["changed"] is True
    assert result["lease"] == {"name": NAME, "namespace": "default"}
    user_host, pid = result["holder"].rsplit(":", 1)
    assert "@" in user_host and pid == str(os.getpid())
    assert leases.lease()["spec"]["holderIdentity"] == result["holder"]


def test_main_fails_naming_the_holder(run_module, leases):
    run_module(leases, holder="alice@laptop:7")
    result = run_module(leases, holder="bob@runner:8")
    assert result["failed"] is True
    assert "held by alice@laptop:7" in result["msg"]
    assert result["previous"]["holder"] == "alice@laptop:7"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"state": "renewed"}, "holder is required with state=renewed"),
        ({"state": "released"}, "holder is required with state=released"),
        ({"break": True}, "break is only used with state=released"),
        ({"lease_duration": 0}, "lease_duration must be at least 1"),
        ({"wait_timeout": -1}, "wait_timeout must be 0 or more"),
    ],
)
def test_main_rejects_bad_input_before_any_api_call(run_module, args, message):
    cluster = mock.Mock()
    result = run_module(cluster, **args)
    assert message in result["msg"]
    cluster.resource.assert_not_called()


# --- botcore.platform.apply renews the lock it writes under --------------------------------------


@pytest.fixture
def run_apply(capsys):
    def run(cluster, engine, check_mode=False, **args):
        args = {"components": [{"name": "core_engine", "namespace": "bot-core-production"}], **args}
        if check_mode:
            args["_ansible_check_mode"] = True
        with (
            patch_module_args(args),
            mock.patch.object(apply_module, "get_api_client", return_value=cluster),
            mock.patch.object(apply_module, "Engine", return_value=engine),
            pytest.raises(SystemExit),
        ):
            apply_module.main()
        return json.loads(capsys.readouterr().out)

    return run


def test_apply_renews_the_lock_it_holds_before_it_applies(run_apply, leases, clock):
    acquire(leases, clock)
    engine = mock.Mock()
    engine.run.return_value = {"changed": False}
    writes = leases.writes
    result = run_apply(leases, engine, lock=WRITER_LOCK)
    assert result.get("failed") is not True
    assert leases.writes == writes + 1
    assert leases.lease()["spec"]["leaseDurationSeconds"] == 300
    engine.run.assert_called_once()


def test_apply_with_another_runs_lock_fails_and_applies_nothing(run_apply, leases, clock):
    acquire(leases, clock, holder="bob@runner:8")
    engine = mock.Mock()
    result = run_apply(leases, engine, lock=WRITER_LOCK)
    assert result["failed"] is True
    assert result["msg"].startswith("the deploy lock could not be renewed, nothing applied:")
    assert "held by bob@runner:8" in result["msg"]
    engine.run.assert_not_called()


def test_apply_in_check_mode_leaves_the_lock_alone(run_apply, leases, clock):
    engine = mock.Mock()
    engine.run.return_value = {"changed": False}
    result = run_apply(leases, engine, check_mode=True, lock=WRITER_LOCK)
    assert result.get("failed") is not True
    assert leases.writes == 0
    engine.run.assert_called_once()


def test_apply_that_releases_the_lock_deletes_it_once_its_run_is_over(run_apply, leases, clock):
    acquire(leases, clock)
    engine = mock.Mock()
    engine.run.return_value = {"changed": False}
    result = run_apply(leases, engine, lock={**WRITER_LOCK, "release": True})
    assert result.get("failed") is not True
    assert result["lock_released"] is True
    assert leases.lease() is None


def test_apply_that_releases_the_lock_keeps_it_while_its_wait_goes_on(run_apply, leases, clock):
    acquire(leases, clock)
    engine = mock.Mock()
    engine.run.return_value = {"changed": True, "pending": [], "resume": {"result": {}}}
    result = run_apply(leases, engine, lock={**WRITER_LOCK, "release": True})
    assert "lock_released" not in result
    assert leases.lease()["spec"]["holderIdentity"] == WRITER_LOCK["holder"]


def test_apply_that_fails_keeps_the_lock_it_would_release(run_apply, leases, clock):
    acquire(leases, clock)
    engine = mock.Mock()
    engine.run.side_effect = apply_module.ApplyError("core_engine: Deployment rust-core-engine did not become Ready")
    result = run_apply(leases, engine, lock={**WRITER_LOCK, "release": True})
    assert result["failed"] is True
    assert "lock_released" not in result
    assert leases.lease()["spec"]["holderIdentity"] == WRITER_LOCK["holder"]


def test_release_of_a_writer_fails_when_another_run_holds_the_lock(leases, clock):
    acquire(leases, clock, holder="bob@runner:8")
    with pytest.raises(lock.LockError, match="held by bob@runner:8"):
        lock.release(lock.Api(leases), WRITER_LOCK, clock=clock)
    assert leases.lease()["spec"]["holderIdentity"] == "bob@runner:8"
