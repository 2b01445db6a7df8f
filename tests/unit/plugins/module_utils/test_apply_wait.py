# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply engine's rollout wait in slices: what a slice that ends first returns, and how the next run resumes it
(the rollouts themselves are the rollout module's, stood in for here)."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.botcore.platform.plugins.module_utils import apply
from ansible_collections.botcore.platform.plugins.module_utils.apply import ApplyError, Engine, Item

PARAMS = {
    "field_manager": "botcore-platform",
    "wait_timeout": 600,
    "wait_sleep": 2,
    "rollback_on_failure": True,
    "progress_interval": 30,
}


def workload(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "prod"}}


def items(changes=True):
    return [Item("core_engine", workload("engine"), changes=changes), Item("core_engine", workload("ws"))]


def report(name, **extra):
    return {"changed": True, "rollout": {"name": name, "complete": True, "history": [1, 2]}, **extra}


def pending(name, waited):
    state = {"kind": "Deployment", "name": name, "namespace": "prod", "ready": 1, "desired": 3, "waited": int(waited)}
    return report(name, pending=[state], resume={"waited": waited, "at": 1000.0, "result": {"changed": False}})


class Rollouts:
    """Stands in for rollout.run: what each workload's wait (or undo) returns, by name, and every call's params."""

    def __init__(self, **outcomes):
        self.outcomes = outcomes
        self.calls = []

    def __call__(self, api, params, until=None):
        self.calls.append(params)
        outcome = self.outcomes[params["name"] + ("-undo" if params["state"] == "undone" else "")]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def wait(rollouts, workloads, resume=None):
    engine = Engine(mock.MagicMock(), PARAMS)
    if resume:
        # As Engine._run does before the wait of a resumed run.
        engine.result = resume["result"]
    with mock.patch.object(apply.rollout, "run", rollouts):
        try:
            return engine._wait(workloads, resume or {}), engine.result
        finally:
            engine.pool.shutdown()


def test_a_slice_that_ends_before_a_rollout_returns_it_pending_with_what_resumes_it():
    rollouts = Rollouts(engine=report("engine"), ws=pending("ws", 30.2))

    done, result = wait(rollouts, items())

    assert done is False
    assert result["pending"] == [{"component": "core_engine", **pending("ws", 30.2)["pending"][0]}]
    assert result["rollouts"] == [report("engine")["rollout"]]
    assert result["resume"]["pending"] == [
        {"key": "Deployment/prod/ws", "waited": 30.2, "at": 1000.0, "changes": False}
    ]
    assert result["resume"]["result"]["rollouts"] == [report("engine")["rollout"]]
    assert "pending" not in result["resume"]["result"]


def test_the_next_run_waits_only_on_the_pending_workloads_from_where_they_were():
    first = wait(Rollouts(engine=report("engine"), ws=pending("ws", 30.2)), items())[1]
    rollouts = Rollouts(ws=report("ws"))

    done, result = wait(rollouts, items(changes=False), first["resume"])

    assert done is True
    assert [call["name"] for call in rollouts.calls] == ["ws"]
    assert rollouts.calls[0]["resume"] == {"waited": 30.2, "at": 1000.0, "result": {"changed": False}}
    assert [rollout["name"] for rollout in result["rollouts"]] == ["engine", "ws"]
    assert "pending" not in result and "resume" not in result


def test_a_failure_in_an_earlier_slice_is_rolled_back_once_the_others_are_done():
    failure = apply.rollout.RolloutError("deployment engine revision 2: 0 of 3 ready", {"rollout": {"history": [1, 2]}})
    first = wait(Rollouts(engine=failure, ws=pending("ws", 30.2)), items(changes=True))[1]
    undone = {
        "changed": True,
        "from": {"revision": 2, "images": {"e": "engine:2-broken"}},
        "to": {"revision": 1, "images": {"e": "engine:1"}},
        "rollout": {"revision": 3},
    }
    rollouts = Rollouts(ws=report("ws"), **{"engine-undo": undone})

    # The resumed run read nothing of what the first one changed: that it did comes with resume.
    second = wait(rollouts, items(changes=False), first["resume"])[1]
    with pytest.raises(ApplyError) as failed:
        wait(rollouts, items(changes=False), second["resume"])

    assert [(call["name"], call["state"]) for call in rollouts.calls] == [("ws", "status"), ("engine", "undone")]
    assert str(failed.value) == (
        "core_engine: Deployment engine did not become Ready (deployment engine revision 2: 0 of 3 ready); rolled "
        "back from revision 2 (engine:2-broken) to revision 1 (engine:1), its previous revision, running as "
        "revision 3; this run changed it"
    )


def test_a_rollback_still_rolling_out_at_the_end_of_the_slice_is_resumed_not_made_again():
    failure = apply.rollout.RolloutError("deployment engine revision 2: 0 of 3 ready", {"rollout": {"history": [1, 2]}})
    undone = {
        "changed": True,
        "from": {"revision": 2, "images": {"e": "engine:2-broken"}},
        "to": {"revision": 1, "images": {"e": "engine:1"}},
        "rollout": {"revision": 3},
    }
    undoing = {**undone, **pending("engine", 3.0)}
    first = wait(Rollouts(engine=failure, ws=report("ws")), items(changes=True))[1]
    second = wait(Rollouts(**{"engine-undo": undoing}), items(changes=False), first["resume"])[1]

    assert second["pending"][0]["rollback"] is True and second["pending"][0]["name"] == "engine"
    rollouts = Rollouts(**{"engine-undo": undone})
    with pytest.raises(ApplyError) as failed:
        wait(rollouts, items(changes=False), second["resume"])

    # Only the undo's wait goes on, from where the slice left it; ws, done in the first slice, is not waited on.
    assert [(call["name"], call["state"], call["resume"]["waited"]) for call in rollouts.calls] == [
        ("engine", "undone", 3.0)
    ]
    assert "rolled back from revision 2 (engine:2-broken) to revision 1" in str(failed.value)
    assert "this run changed it" in str(failed.value)


UNDONE = {
    "changed": True,
    "from": {"revision": 2, "images": {"e": "engine:2-broken"}},
    "to": {"revision": 1, "images": {"e": "engine:1"}},
    "rollout": {"revision": 3},
}


def test_a_slice_that_waited_and_saw_a_rollout_fail_leaves_the_rollback_to_the_next_slice():
    # The next slice is started by the controller only while ansible-playbook lives (plugin_utils/progress.py): a
    # killed run must not roll back behind the back of its rerun.
    failure = apply.rollout.RolloutError("deployment engine revision 2: 0 of 3 ready", {"rollout": {"history": [1, 2]}})
    rollouts = Rollouts(engine=failure, ws=report("ws"), **{"engine-undo": UNDONE})

    done, first = wait(rollouts, items(changes=True))

    assert done is False
    assert [(call["name"], call["state"]) for call in rollouts.calls] == [("engine", "status"), ("ws", "status")]
    assert first["pending"] == [] and first["resume"]["pending"] == []
    assert first["resume"]["failures"] == [
        {
            "key": "Deployment/prod/engine",
            "changes": True,
            "failure": {"msg": str(failure), "rollout": {"history": [1, 2]}},
        }
    ]
    rollouts.calls.clear()
    with pytest.raises(ApplyError) as failed:
        wait(rollouts, items(changes=False), first["resume"])

    # The next slice rolls back first, waits on nothing else, and knows that the first one changed the engine.
    assert [(call["name"], call["state"]) for call in rollouts.calls] == [("engine", "undone")]
    assert str(failed.value).endswith("running as revision 3; this run changed it")


@pytest.mark.parametrize(
    ("params", "changes", "said", "calls"),
    [
        ({"progress_interval": 0}, True, "; this run changed it", ["status", "status", "undone"]),
        ({"progress_interval": 0}, False, "; this run did not change it", ["status", "status", "undone"]),
        ({"rollback_on_failure": False}, True, "left as it is: platform_rollback_on_failure is false", ["status"] * 2),
    ],
)
def test_a_wait_without_slices_or_without_rollbacks_ends_in_the_run_that_saw_the_failure(params, changes, said, calls):
    last_good = {"restorable": True, "revision": 1}
    failure = apply.rollout.RolloutError(
        "deployment engine revision 2: 0 of 3 ready", {"rollout": {"history": [1, 2], "last_good": last_good}}
    )
    rollouts = Rollouts(engine=failure, ws=report("ws"), **{"engine-undo": UNDONE})
    engine = Engine(mock.MagicMock(), {**PARAMS, **params})
    with mock.patch.object(apply.rollout, "run", rollouts), pytest.raises(ApplyError) as failed:
        try:
            engine._wait(items(changes=changes), {})
        finally:
            engine.pool.shutdown()

    assert said in str(failed.value)
    assert [call["state"] for call in rollouts.calls] == calls
