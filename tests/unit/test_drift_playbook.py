# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift operation renders what site.yml deploys: the same platform roles in the same order, each through a
render entry point that sets ``__<role>_objects`` and writes nothing, after a validate entry point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OPERATIONS_VARS = yaml.safe_load((REPO / "roles" / "operations" / "vars" / "main.yml").read_text())
PLATFORM_ROLES = OPERATIONS_VARS["__operations_platform_roles"]
RUNS = yaml.safe_load((REPO / "playbooks" / "vars" / "site_roles.yml").read_text())["__site_platform_runs"]
WRITING_MODULES = {"kubernetes.core.k8s", "ansible.builtin.copy", "ansible.builtin.file", "ansible.builtin.template"}


def deployed_roles(plays):
    """The components a site.yml deploy play applies, in order: those of its apply runs, which name their entry of
    vars/site_roles.yml's __site_platform_runs."""
    (deploy,) = [play for play in plays if play["name"] == "Deploy in order"]
    roles = []
    # The lock's block/always wraps the deploy tasks.
    tasks = [inner for task in deploy["tasks"] for inner in task.get("block", [task])]
    for task in tasks:
        if task.get("ansible.builtin.include_role", {}).get("name") == "botcore.platform.apply":
            roles += RUNS[int(re.search(r"__site_platform_runs\[(\d+)\]", task["vars"]["__site_run"])[1])]
    return roles


def test_the_platform_roles_are_site_yml_s_in_its_deploy_order():
    assert deployed_roles(yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())) == PLATFORM_ROLES


def test_deployed_roles_sees_a_role_out_of_order():
    plays = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    (deploy,) = [play for play in plays if play["name"] == "Deploy in order"]
    (locked,) = [task for task in deploy["tasks"] if "block" in task]
    locked["block"].reverse()
    assert deployed_roles(plays) != PLATFORM_ROLES


@pytest.mark.parametrize("role", PLATFORM_ROLES)
def test_each_platform_role_validates_and_renders_into_its_fact_without_writing(role):
    tasks = REPO / "roles" / role / "tasks"
    assert (tasks / "validate.yml").is_file()
    render = yaml.safe_load((tasks / "render.yml").read_text())
    # A service role's render is the workload building block's, which names the fact after the role.
    shared = [t for t in render if t.get("ansible.builtin.import_role", {}).get("tasks_from") == "workload_render"]
    if shared:
        render = yaml.safe_load((REPO / "roles" / "platform" / "tasks" / "workload_render.yml").read_text())
        role = "{{ __platform_subject }}"
    # Tasks it imports from the role's own files count as its (the secrets role chooses its values in values.yml).
    render = [
        inner
        for task in render
        for inner in (
            yaml.safe_load((tasks / task["ansible.builtin.import_tasks"]).read_text())
            if "ansible.builtin.import_tasks" in task
            else [task]
        )
    ]
    # The render action sets __<component>_objects for each of its components.
    facts = [task["ansible.builtin.set_fact"] for task in render if "ansible.builtin.set_fact" in task]
    facts += [
        [f"__{component}_objects" for component in task["botcore.platform.render"]["components"]]
        for task in render
        if "botcore.platform.render" in task
    ]
    assert any(f"__{role}_objects" in fact for fact in facts), f"{role}: render.yml sets no __{role}_objects"
    assert not [task["name"] for task in render if WRITING_MODULES & task.keys()], f"{role}: render.yml writes"
