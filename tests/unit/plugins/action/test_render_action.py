"""botcore.platform.render: every component's objects in one task, the same as the component's own render gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = ["ai_service", "core_engine", "dashboard"]
KINDS = {
    "namespace": "Namespace",
    "mongodb": "StatefulSet",
    "ai_service": "PersistentVolumeClaim",
    "ingress": "Ingress",
    "service_mesh": "VirtualService",
    "monitoring": "ServiceMonitor",
}
COMPONENTS = ["namespace", "mongodb", "ai_service", "core_engine", "dashboard", "ingress", "service_mesh", "monitoring"]


def playbook(collections_path, tmp_path, tasks, variables=None):
    path = tmp_path / "play.yml"
    play = {"hosts": "localhost", "gather_facts": False, "tasks": tasks, "vars": variables or {}}
    path.write_text(json.dumps([play]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


# The components' variables, as site.yml's plays import them.
VARIABLES = {
    "ansible.builtin.import_role": {
        "name": "botcore.platform.platform",
        "tasks_from": "components",
        "rolespec_validate": False,
    }
}


def test_one_task_renders_what_each_component_renders_alone(collections_path, tmp_path):
    tasks = [
        VARIABLES,
        {"botcore.platform.render": {"components": COMPONENTS}, "register": "bulk"},
        *[
            {"ansible.builtin.import_role": {"name": f"botcore.platform.{name}", "tasks_from": "render"}}
            for name in COMPONENTS
        ],
        {
            "ansible.builtin.assert": {
                # One task for all leaks nothing from one component into the next.
                "that": [f"bulk.ansible_facts.__{name}_objects == __{name}_objects" for name in COMPONENTS]
                + ["bulk.components == " + json.dumps(COMPONENTS)]
                # Each component's own objects: the building block serves each service under its registry name.
                + [
                    f"__{name}_objects | selectattr('kind', '==', 'Deployment') | map(attribute='metadata.name')"
                    f" == [platform_services.{name}.name]"
                    for name in SERVICES
                ]
                + [f"'{kind}' in __{name}_objects | map(attribute='kind')" for name, kind in KINDS.items()],
            }
        },
    ]
    done = playbook(collections_path, tmp_path, tasks)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All assertions passed" in done.stdout


@pytest.mark.parametrize(
    ("components", "message"),
    [
        (["namespace", "nothere"], "components: 'nothere' is not a role of botcore.platform"),
        # A role that renders nothing.
        (["lock"], "render: the role lock declares neither __lock_manifests nor __lock_templates"),
    ],
)
def test_what_is_not_a_component_is_refused_by_name(collections_path, tmp_path, components, message):
    done = playbook(collections_path, tmp_path, [VARIABLES, {"botcore.platform.render": {"components": components}}])
    assert done.returncode != 0
    assert message in done.stdout + done.stderr


def test_a_setting_that_does_not_resolve_fails_only_where_it_is_used(collections_path, tmp_path):
    # Each role's settings are resolved once, up front; one that cannot be is left to its use.
    render = {"botcore.platform.render": {"components": ["namespace"]}}
    done = playbook(collections_path, tmp_path, [VARIABLES, render], {"namespace_unused": "{{ no_such_variable }}"})
    assert done.returncode == 0, done.stdout + done.stderr
    done = playbook(collections_path, tmp_path, [VARIABLES, render], {"namespace_quota": "{{ no_such_variable }}"})
    assert done.returncode != 0
    assert "no_such_variable" in done.stdout + done.stderr
