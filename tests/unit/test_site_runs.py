# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml's deploy play: the objects the preflight play rendered, applied in two runs around the add-ons, or in one
when none of the add-ons between them runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1].parent
SITE_ROLES = yaml.safe_load((REPO / "playbooks/vars/site_roles.yml").read_text())
RUNS = SITE_ROLES["__site_platform_runs"]
COMPONENTS = yaml.safe_load((REPO / "roles/platform/vars/main.yml").read_text())["__platform_components"]


def deploy_play():
    [play] = yaml.safe_load((REPO / "playbooks/site.yml").read_text())
    return play


def lock_block():
    """The block that holds the deploy lock."""
    return next(task for task in deploy_play()["tasks"] if "block" in task)


def deploy_tasks():
    """The tasks of the block that holds the deploy lock, in order."""
    return lock_block()["block"]


def role_of(task):
    action = next((key for key in ("ansible.builtin.import_role", "ansible.builtin.include_role") if key in task), None)
    return task[action]["name"].removeprefix("botcore.platform.") if action else None


def test_the_runs_take_the_platform_components_in_their_order():
    assert [component for run in RUNS for component in run] == COMPONENTS


def test_the_preflight_renders_the_secrets_first_and_every_other_component_in_one_task():
    tasks = yaml.safe_load((REPO / "roles/platform/tasks/preflight.yml").read_text())
    imported = [
        role_of(task) for task in tasks if task.get("ansible.builtin.import_role", {}).get("tasks_from") == "render"
    ]
    [render] = [task for task in tasks if "botcore.platform.render" in task]
    assert imported == ["secrets"] and tasks.index(render) > next(
        i for i, t in enumerate(tasks) if role_of(t) == "secrets"
    )
    assert render["botcore.platform.render"]["components"].strip() == (
        "{{ __platform_components | reject('==', 'secrets') "
        "| botcore.platform.tag_selected(ansible_run_tags, ansible_skip_tags) }}"
    )
    # Always, and each component's tag, which --list-tags lists.
    assert render["tags"] == ["always"] + [component for component in COMPONENTS if component != "secrets"]


def test_the_deploy_play_reads_the_render_of_every_component_of_the_runs():
    rendered = deploy_play()["vars"]["__site_rendered"]
    assert [entry["name"] for entry in rendered] == [component for run in RUNS for component in run]
    assert all(entry["objects"] == f"{{{{ __{entry['name']}_objects | default(none) }}}}" for entry in rendered)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # The first run holds Grafana's admin Secret that kube-prometheus-stack reads; the add-ons' APIs (CRDs, the
        # ServiceMonitors' operator) come before the second run, whose objects use them.
        (0, "kube_prometheus_stack"),
        ("cert_manager", 1),
        ("ingress_nginx", 1),
        ("istio", 0),
        ("kube_prometheus_stack", "cert_manager"),
        ("kube_prometheus_stack", "ingress_nginx"),
    ],
)
def test_the_add_on_order_holds_around_the_runs(before, after):
    steps = []
    for task in deploy_tasks():
        role = role_of(task)
        if role == "apply":
            steps.append(int(re.search(r"__site_platform_runs\[(\d)\]", task["vars"]["__site_run"])[1]))
        else:
            steps.append(role)
    assert steps.index(before) < steps.index(after), steps


def test_the_add_ons_between_the_runs_are_those_that_keep_them_apart():
    steps = [role_of(task) for task in deploy_tasks()]
    first, second = (i for i, role in enumerate(steps) if role == "apply")
    assert steps[first + 1 : second] == SITE_ROLES["__site_addons_between_runs"]


def test_the_first_run_makes_the_preflight_checks_the_preflight_play_skipped_for_it():
    first = next(task for task in deploy_tasks() if role_of(task) == "apply")
    assert " ".join(first["vars"]["apply_preflight"].split()) == (
        "{{ __platform_preflight_checks if __platform_preflight is skipped and __site_preflight_with_apply else {} }}"
    )
    preflight = next(task for task in deploy_tasks() if role_of(task) == "platform")
    assert preflight["vars"] == {"__platform_preflight_deferred": "{{ __site_preflight_with_apply }}"}


def test_the_first_run_takes_every_component_unless_an_add_on_runs_between():
    first, second = (task for task in deploy_tasks() if role_of(task) == "apply")
    assert "__site_platform_runs[0] if __site_runs_apart else __site_platform_runs | flatten" in " ".join(
        first["vars"]["__site_run"].split()
    )
    assert second["when"].startswith("__site_runs_apart and ")
    assert deploy_play()["vars"]["__site_runs_apart"] == (
        "{{ __site_addons_between_runs | select('in', platform_prerequisites) | list | length > 0 }}"
    )


def test_the_secrets_are_written_before_the_run_that_applies_them():
    tasks = deploy_tasks()
    roles = [role_of(task) for task in tasks]
    first_run = next(i for i, task in enumerate(tasks) if role_of(task) == "apply")
    assert roles.index("secrets") < first_run
    secrets = tasks[roles.index("secrets")]
    assert secrets["ansible.builtin.include_role"]["tasks_from"] == "deploy"
    # Included only when it has something to write, as its write task says: a skipped include loads no role.
    assert secrets["when"] == "not (__site_addons_only | default(false)) and __secrets_writing"
    [write] = [
        task for task in yaml.safe_load((REPO / "roles/secrets/tasks/deploy.yml").read_text()) if "register" in task
    ]
    assert write["when"] == "__secrets_writing"
    assert yaml.safe_load((REPO / "roles/secrets/vars/main.yml").read_text())["__secrets_writing"] == (
        "{{ platform_render_dir | length == 0 and __secrets_writes | length > 0 }}"
    )
    assert secrets["tags"] == secrets["ansible.builtin.include_role"]["apply"]["tags"] == ["secrets"]


def test_the_render_and_preflight_run_under_the_lock_before_any_other_task():
    roles = [(role_of(task), task.get("ansible.builtin.import_role", {}).get("tasks_from")) for task in deploy_tasks()]
    assert roles[:2] == [("lock", None), ("platform", "preflight")]


def test_the_last_apply_run_alone_releases_the_lock_and_the_always_section_only_after_a_failure():
    runs = [task for task in deploy_tasks() if role_of(task) == "apply"]
    assert [run["vars"].get("apply_release_lock", False) for run in runs] == ["{{ not __site_runs_apart }}", True]
    table, release = lock_block()["always"]
    assert table["when"] == "__apply_result.preflight.table is defined"
    assert release["ansible.builtin.include_role"] == {
        "name": "botcore.platform.lock",
        "tasks_from": "release",
        "apply": {"tags": ["always"]},
    }
    assert release["when"] == "not (__apply_result.lock_released | default(false))"


def test_the_validation_checks_every_component_with_the_variables_of_each():
    checks = yaml.safe_load((REPO / "playbooks/tasks/validate.yml").read_text())
    [check] = [task for task in checks if "botcore.platform.validate_settings" in task]
    assert check["botcore.platform.validate_settings"]["roles"] == "{{ __platform_components }}"
    assert all("always" in task["tags"] for task in checks)
    validation = yaml.safe_load((REPO / "playbooks/validate.yml").read_text())[0]
    imports, components = validation["tasks"]
    assert imports["ansible.builtin.import_tasks"] == "tasks/validate.yml"
    assert components["ansible.builtin.import_role"] == {
        "name": "botcore.platform.platform",
        "tasks_from": "components",
        "rolespec_validate": False,
    }


def test_site_validates_first_in_its_one_play_whose_preflight_gives_the_components_variables():
    first, block = deploy_play()["tasks"]
    assert first["ansible.builtin.import_tasks"] == "tasks/validate.yml"
    assert block == lock_block()
    preflight = yaml.safe_load((REPO / "roles/platform/tasks/preflight.yml").read_text())
    assert [task["ansible.builtin.import_tasks"] for task in preflight if "ansible.builtin.import_tasks" in task] == [
        "components.yml"
    ]


def test_the_components_are_imported_for_their_variables_only():
    imports = yaml.safe_load((REPO / "roles/platform/tasks/components.yml").read_text())
    assert [role_of(task) for task in imports] == COMPONENTS
    # None of their tasks runs, their argument spec task included.
    assert all(task["tags"] == ["never"] for task in imports)
    assert all(task["ansible.builtin.import_role"]["rolespec_validate"] is False for task in imports)
