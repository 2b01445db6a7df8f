# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of a sliced wait (option progress_interval of botcore.platform.apply and rollout).

A module cannot print while it runs. So the module waits at most progress_interval seconds; when a rollout is still
going at the end of that slice it returns ``pending`` (where each workload stands) and ``resume`` (what the next run
needs). This prints one line per pending workload and runs the module again with ``resume``, until it returns
without one: a wait that ends within the first slice costs no second run and prints nothing.

A task runs in a worker process that Ansible puts in a session of its own, so a SIGKILL of ansible-playbook (a
cancelled CI job, a killed process group) leaves the worker running. No slice starts once ansible-playbook is gone:
what the wait would do next (a rollback) is left to the rerun, which finds the cluster as the killed run left it.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


def progress_line(prefix, entry):
    """``apply core_engine: Deployment bot-core-production/rust-core-engine 1/3 ready, 2 of 3 replicas updated;
    newest pod rust-core-engine-7d9f-x2x waiting: ContainerCreating (30 s of 600 s)``"""
    newest = f"; newest pod {entry['newest_pod']}" if entry.get("newest_pod") else ""
    return (
        f"{prefix}: {entry['kind']} {entry['namespace']}/{entry['name']} {entry['ready']}/{entry['desired']} ready, "
        f"{entry['message']}{newest} ({entry['waited']} s of {entry['timeout']} s)"
    )


def run_sliced(execute, args, prefix, show=None, controller_alive=lambda: True):
    """Run the module (``execute(module_args)``) until its wait ends, or until ``controller_alive()`` says that
    ansible-playbook is gone; return its last result.

    Every slice's warnings and deprecations are kept: Ansible shows only those of the result the task returns.
    """
    show = show or display.display
    notes = {"warnings": [], "deprecations": []}
    while True:
        result = execute(args)
        for key, kept in notes.items():
            kept.extend(result.pop(key, None) or [])
        resume = result.pop("resume", None)
        pending = result.pop("pending", None)
        if resume and not result.get("failed") and not controller_alive():
            result.update(
                failed=True, msg="ansible-playbook is gone: no further slice of the wait runs, a rerun takes it up"
            )
        if result.get("failed") or not resume:
            result.update({key: kept for key, kept in notes.items() if kept})
            return result
        for entry in pending or []:
            show(progress_line(prefix(entry), entry))
        args = {**args, "resume": resume}


class SlicedWaitAction(ActionBase):
    """The action plugin of a module with a sliced wait; a subclass says how its lines start."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def line_prefix(self, entry):
        raise NotImplementedError

    def module_args(self, args):
        """The module's arguments from the task's."""
        return args

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        wrap_async = self._task.async_val and not self._connection.has_native_async

        def execute(module_args):
            return self._execute_module(
                module_name=self._task.action, module_args=module_args, task_vars=task_vars, wrap_async=wrap_async
            )

        if self._task.async_val:
            # An async task's result is read later, by async_status: no slice to resume, so one run that waits.
            result.update(execute({**self.module_args(self._task.args), "progress_interval": 0}))
        else:
            # The worker's parent is ansible-playbook; once that is gone, the worker is another process's child.
            controller = os.getppid()
            result.update(
                run_sliced(
                    execute,
                    self.module_args(dict(self._task.args)),
                    self.line_prefix,
                    controller_alive=lambda: os.getppid() == controller,
                )
            )
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
