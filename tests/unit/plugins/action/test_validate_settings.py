"""botcore.platform.validate_settings: a role's rules and variable names, each problem named by its variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]


def playbook(collections_path, tmp_path, task, variables=None, *extra):
    """Run one task on localhost with variables as extra vars; the completed process."""
    path = tmp_path / "play.yml"
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
    (tmp_path / "vars.json").write_text(json.dumps(variables or {}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(path), "-e", f"@{tmp_path / 'vars.json'}", *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def role_check(role):
    """The role's validate entry point, whose check is this action: the role's defaults apply."""
    return {"ansible.builtin.import_role": {"name": f"botcore.platform.{role}", "tasks_from": "validate"}}


def failure(done):
    return done.stdout + done.stderr


@pytest.mark.parametrize("extra", [(), ("--check",)])
def test_the_defaults_pass(collections_path, tmp_path, extra):
    done = playbook(collections_path, tmp_path, role_check("namespace"), None, *extra)
    assert done.returncode == 0, failure(done)
    assert "changed=0" in done.stdout


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        # A rule of plugins/filter/settings.py.
        ({"namespace_quota": {"requests.cpu": "lots"}}, "namespace_quota.requests.cpu: must be a non-negative"),
        # A collection-wide setting, read with the role's own.
        ({"platform_namespace": "Bot_Core"}, "platform_namespace: 'Bot_Core' is not a valid namespace name"),
        # A variable with the role's prefix that no entry point knows.
        (
            {"namespace_quotaa": {}},
            "namespace_quotaa: not an option of the namespace role; did you mean namespace_quota?",
        ),
    ],
)
def test_a_bad_setting_fails_naming_its_variable(collections_path, tmp_path, variables, message):
    done = playbook(collections_path, tmp_path, role_check("namespace"), variables)
    assert done.returncode != 0
    assert message in failure(done)


def test_a_variable_of_a_role_whose_name_extends_this_one_is_not_this_ones(collections_path, tmp_path):
    task = {"botcore.platform.validate_settings": {"role": "ingress", "rules": False}}
    done = playbook(collections_path, tmp_path, task, {"ingress_nginx_replicas": 2})
    assert done.returncode == 0, failure(done)
    done = playbook(collections_path, tmp_path, task, {"ingress_replicas": 2})
    assert done.returncode != 0
    assert "ingress_replicas: not an option of the ingress role" in failure(done)


def test_the_errors_given_and_every_unknown_name_are_reported_together(collections_path, tmp_path):
    task = {"botcore.platform.validate_settings": {"role": "lock", "rules": False, "errors": ["lock_x: bad"]}}
    done = playbook(collections_path, tmp_path, task, {"lock_waittimeout": 5})
    assert done.returncode != 0
    expected = "lock_x: bad; lock_waittimeout: not an option of the lock role; did you mean lock_wait_timeout?"
    assert expected in failure(done)


def test_a_known_name_is_not_an_unknown_option(collections_path, tmp_path):
    task = {"botcore.platform.validate_settings": {"role": "lock", "rules": False, "known": ["lock_note"]}}
    done = playbook(collections_path, tmp_path, task, {"lock_note": "x"})
    assert done.returncode == 0, failure(done)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"role": "nothere"}, "role: 'nothere' is not a role of botcore.platform"),
        ({}, "missing required arguments: role"),
        ({"role": "lock", "colour": "red"}, "colour"),
    ],
)
def test_bad_arguments_fail_naming_the_option(collections_path, tmp_path, args, message):
    done = playbook(collections_path, tmp_path, {"botcore.platform.validate_settings": args})
    assert done.returncode != 0
    assert message in failure(done)
