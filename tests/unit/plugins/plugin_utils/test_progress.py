# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of a sliced wait: the progress line, the resume loop, and the action plugins around it."""

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.botcore.platform.plugins.action import apply as apply_action
from ansible_collections.botcore.platform.plugins.action import rollout as rollout_action
from ansible_collections.botcore.platform.plugins.plugin_utils.progress import progress_line, run_sliced

ENTRY = {
    "component": "core_engine",
    "kind": "Deployment",
    "name": "rust-core-engine",
    "namespace": "bot-core-production",
    "revision": 4,
    "ready": 1,
    "desired": 3,
    "message": "2 of 3 replicas updated",
    "newest_pod": "rust-core-engine-7d9f-x2x waiting: ContainerCreating",
    "waited": 45,
    "timeout": 600,
}
LINE = (
    "apply core_engine: Deployment bot-core-production/rust-core-engine 1/3 ready, 2 of 3 replicas updated; "
    "newest pod rust-core-engine-7d9f-x2x waiting: ContainerCreating (45 s of 600 s)"
)


def test_the_line_says_what_is_waited_for_and_how_far_it_is():
    assert progress_line("apply core_engine", ENTRY) == LINE


def test_a_line_without_a_pod_that_is_not_ready_names_none():
    line = progress_line("rollout status", {**ENTRY, "newest_pod": None, "message": "spec update not yet observed"})

    assert line.endswith("1/3 ready, spec update not yet observed (45 s of 600 s)")
    assert "newest pod" not in line


class Module:
    """Stands in for the module: returns the given results in turn, keeping the arguments of each run."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls = []

    def __call__(self, args):
        self.calls.append(args)
        return dict(self.results.pop(0))


def sliced(state, waited, **extra):
    return {"changed": True, "pending": [{**ENTRY, "waited": waited}], "resume": state, **extra}


def test_a_wait_done_within_the_first_slice_costs_one_run_and_prints_nothing():
    module = Module({"changed": False, "rollouts": []})
    shown = []

    result = run_sliced(module, {"wait": True}, lambda entry: "apply x", shown.append)

    assert (result, module.calls, shown) == ({"changed": False, "rollouts": []}, [{"wait": True}], [])


def test_each_slice_prints_its_pending_workloads_and_the_next_run_resumes_it():
    module = Module(
        sliced({"slice": 1}, 30, warnings=["took over .spec.replicas"]),
        sliced({"slice": 2}, 61),
        {"changed": True, "rollouts": ["done"], "warnings": ["another"]},
    )
    shown = []

    result = run_sliced(module, {"wait": True}, lambda entry: f"apply {entry['component']}", shown.append)

    assert module.calls == [
        {"wait": True},
        {"wait": True, "resume": {"slice": 1}},
        {"wait": True, "resume": {"slice": 2}},
    ]
    assert shown == [LINE.replace("45 s", "30 s"), LINE.replace("45 s", "61 s")]
    # No pending or resume left in the task's result, and every slice's warnings kept.
    assert result == {"changed": True, "rollouts": ["done"], "warnings": ["took over .spec.replicas", "another"]}


def test_a_slice_that_fails_ends_the_loop_with_its_failure():
    module = Module(
        sliced({"slice": 1}, 30, warnings=["took over .spec.replicas"]),
        {"failed": True, "msg": "core_engine: Deployment rust-core-engine did not become Ready", "resume": {"x": 1}},
    )
    shown = []

    result = run_sliced(module, {}, lambda entry: "apply core_engine", shown.append)

    assert len(module.calls) == 2 and len(shown) == 1
    assert result == {
        "failed": True,
        "msg": "core_engine: Deployment rust-core-engine did not become Ready",
        "warnings": ["took over .spec.replicas"],
    }


def test_no_slice_starts_once_ansible_playbook_is_gone():
    # Its workers outlive a SIGKILL of ansible-playbook (Ansible gives each a session of its own); a slice that ended
    # with a rollback still to do must not start it behind the back of the rerun.
    module = Module(sliced({"slice": 1}, 30, warnings=["took over .spec.replicas"]), {"changed": True})
    shown = []

    result = run_sliced(module, {}, lambda entry: "apply core_engine", shown.append, controller_alive=lambda: False)

    assert len(module.calls) == 1 and shown == []
    assert result == {
        "changed": True,
        "failed": True,
        "msg": "ansible-playbook is gone: no further slice of the wait runs, a rerun takes it up",
        "warnings": ["took over .spec.replicas"],
    }


def test_a_wait_that_ends_in_its_slice_is_not_failed_for_a_controller_that_is_gone():
    module = Module({"changed": False, "rollouts": []})

    result = run_sliced(module, {}, lambda entry: "apply x", [].append, controller_alive=lambda: False)

    assert result == {"changed": False, "rollouts": []}


def action(plugin, args, async_val=0):
    task = mock.MagicMock(args=args, action=f"botcore.platform.{plugin.__name__.rsplit('.', 1)[-1]}")
    task.async_val = async_val
    task.check_mode = False
    connection = mock.MagicMock(has_native_async=False)
    connection._shell.tmpdir = "/tmp/x"
    return plugin.ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), None)


@pytest.mark.parametrize(
    ("plugin", "args", "prefix"),
    [
        (apply_action, {"components": []}, "apply core_engine: "),
        (rollout_action, {"kind": "Deployment", "state": "restarted"}, "rollout restarted: "),
        (rollout_action, {"kind": "Deployment"}, "rollout status: "),
    ],
)
def test_the_action_plugins_run_the_module_until_its_wait_ends(plugin, args, prefix):
    plugin_action = action(plugin, args)
    results = [sliced({"slice": 1}, 30), {"changed": True}]
    with (
        mock.patch.object(plugin_action, "_execute_module", side_effect=results) as execute,
        mock.patch("ansible_collections.botcore.platform.plugins.plugin_utils.progress.display") as display,
    ):
        result = plugin_action.run(task_vars={})

    assert result["changed"] is True and "resume" not in result
    assert [call.kwargs["module_args"] for call in execute.call_args_list] == [args, {**args, "resume": {"slice": 1}}]
    assert {call.kwargs["module_name"] for call in execute.call_args_list} == {plugin_action._task.action}
    (line,) = [call.args[0] for call in display.display.call_args_list]
    assert line.startswith(prefix)


@pytest.mark.parametrize(("parents", "runs"), [([100, 100], 2), ([100, 1], 1)])
def test_the_action_plugin_runs_no_slice_once_its_parent_ansible_playbook_is_gone(parents, runs):
    plugin_action = action(apply_action, {"components": []})
    results = [sliced({"slice": 1}, 30), {"changed": True}]
    with (
        mock.patch.object(plugin_action, "_execute_module", side_effect=results) as execute,
        mock.patch("ansible_collections.botcore.platform.plugins.plugin_utils.progress.display"),
        # The worker's parent when the task starts, then after the first slice (1: re-parented, the parent died).
        mock.patch(
            "ansible_collections.botcore.platform.plugins.plugin_utils.progress.os.getppid", side_effect=parents
        ),
    ):
        result = plugin_action.run(task_vars={})

    assert execute.call_count == runs
    assert result.get("failed", False) is (runs == 1)


def test_an_async_task_runs_the_module_once_without_slices():
    plugin_action = action(apply_action, {"components": []}, async_val=600)
    with mock.patch.object(plugin_action, "_execute_module", return_value={"ansible_job_id": "j1"}) as execute:
        result = plugin_action.run(task_vars={})

    assert result["ansible_job_id"] == "j1"
    assert execute.call_args.kwargs["module_args"] == {"components": [], "progress_interval": 0}
    assert execute.call_args.kwargs["wrap_async"] is True


@pytest.mark.parametrize(
    ("entry", "prefix"),
    [
        ({"component": "mongodb"}, "apply mongodb"),
        ({"component": "mongodb", "rollback": True}, "apply mongodb rollback"),
    ],
)
def test_an_apply_line_names_the_component_and_whether_it_is_a_rollback(entry, prefix):
    assert action(apply_action, {}).line_prefix(entry) == prefix
