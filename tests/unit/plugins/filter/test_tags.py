# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.botcore.platform.plugins.filter.tags import FilterModule, tag_selected

COMPONENTS = ["namespace", "core_engine", "monitoring"]


def test_filter_module_exposes_tag_selected():
    assert FilterModule().filters() == {"tag_selected": tag_selected}


@pytest.mark.parametrize(
    ("run_tags", "skip_tags", "selected"),
    [
        # No --tags: Ansible's run tags are [all].
        (["all"], [], COMPONENTS),
        ([], [], COMPONENTS),
        (["core_engine"], [], ["core_engine"]),
        (["monitoring", "core_engine"], [], ["core_engine", "monitoring"]),
        # A task tagged with its component is tagged.
        (["tagged"], [], COMPONENTS),
        # Tags of other tasks only: always selects the tasks tagged always, not these.
        (["always"], [], []),
        (["untagged"], [], []),
        (["all"], ["monitoring"], ["namespace", "core_engine"]),
        (["all"], ["all"], []),
        (["all"], ["tagged"], []),
        (["core_engine"], ["core_engine"], []),
        (["all"], ["untagged"], COMPONENTS),
    ],
)
def test_the_components_a_task_tagged_with_each_would_run_for(run_tags, skip_tags, selected):
    assert tag_selected(COMPONENTS, run_tags, skip_tags) == selected


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("namespace", ["all"], []), "components must be a list"),
        ((COMPONENTS, "all", []), "run_tags must be a list"),
        ((COMPONENTS, ["all"], None), "skip_tags must be a list"),
    ],
)
def test_what_is_not_a_list_is_refused_by_name(arguments, message):
    with pytest.raises(TypeError, match=message):
        tag_selected(*arguments)


@pytest.mark.parametrize(
    "arguments",
    [[], ["--tags", "core_engine"], ["--tags", "tagged"], ["--skip-tags", "monitoring"], ["--tags", "all,never"]],
)
def test_the_selection_is_the_tasks_ansible_runs(collections_path, tmp_path, arguments):
    """Against Ansible itself: a task per component, tagged with it, runs exactly for the components selected."""
    tasks = [
        {
            "tags": ["always"],
            "vars": {"components": COMPONENTS},
            "ansible.builtin.debug": {
                "msg": "selected={{ components | botcore.platform.tag_selected(ansible_run_tags, ansible_skip_tags)"
                " | join(',') }}"
            },
        }
    ] + [{"tags": [component], "ansible.builtin.debug": {"msg": f"ran={component}"}} for component in COMPONENTS]
    path = tmp_path / "play.yml"
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(path), *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [selected] = re.findall(r'"msg": "selected=([\w,]*)"', done.stdout)
    assert (selected.split(",") if selected else []) == re.findall(r'"msg": "ran=(\w+)"', done.stdout)
