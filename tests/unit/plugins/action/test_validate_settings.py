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
    """Run one task (or a list of them) on localhost with variables as extra vars; the completed process."""
    path = tmp_path / "play.yml"
    tasks = task if isinstance(task, list) else [task]
    path.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
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
        ({}, "one of the following is required: role, roles"),
        ({"role": "lock", "colour": "red"}, "colour"),
    ],
)
def test_bad_arguments_fail_naming_the_option(collections_path, tmp_path, args, message):
    done = playbook(collections_path, tmp_path, {"botcore.platform.validate_settings": args})
    assert done.returncode != 0
    assert message in failure(done)


# The roles of one `roles` task, imported for their variables as playbooks/validate.yml imports them.
COMPONENTS = ["namespace", "mongodb", "core_engine", "ingress"]
HPA_MIN_ABOVE_MAX = {
    "enabled": True,
    "min_replicas": 5,
    "max_replicas": 2,
    "cpu_utilization": 70,
    "memory_utilization": 80,
}


def every_role_check():
    imports = [
        {
            "tags": ["never"],
            "ansible.builtin.import_role": {
                "name": f"botcore.platform.{role}",
                "tasks_from": "validate",
                "rolespec_validate": False,
            },
        }
        for role in COMPONENTS
    ]
    return [{"botcore.platform.validate_settings": {"roles": COMPONENTS}}, *imports]


def test_roles_pass_with_their_defaults(collections_path, tmp_path):
    done = playbook(collections_path, tmp_path, every_role_check())
    assert done.returncode == 0, failure(done)
    assert "changed=0" in done.stdout


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        # The validate entry point's argument spec, which the role's import would have checked.
        ({"mongodb_replicas": "three"}, "mongodb: argument 'mongodb_replicas' is of type str"),
        # The workload building block's options under the role's prefix (its __core_engine_validation spec).
        ({"core_engine_replicas": "three"}, "core_engine: argument 'core_engine_replicas' is of type str"),
        # The workload's rules, read with the role named __platform_subject.
        ({"core_engine_hpa": HPA_MIN_ABOVE_MAX}, "core_engine_hpa.min_replicas"),
        # A role's own filter (__mongodb_validation's errors) and the rules with the registry (ingress's extra).
        ({"mongodb_replicas": 2}, "mongodb_replicas"),
        (
            {"ingress_core_backend": {"service": "rust-core-engine", "port": 9090}},
            "ingress_core_backend.port: rust-core-engine serves on 8080",
        ),
        ({"namespace_quotaa": {}}, "namespace_quotaa: not an option of the namespace role"),
    ],
)
def test_roles_fail_naming_the_variable_of_any_role(collections_path, tmp_path, variables, message):
    done = playbook(collections_path, tmp_path, every_role_check(), variables)
    assert done.returncode != 0
    assert message in failure(done)


def test_roles_report_every_type_error_before_any_rule(collections_path, tmp_path):
    # A rule might read the option of the wrong type; the namespace's quota rule is not reported.
    variables = {"core_engine_replicas": "three", "mongodb_replicas": "three", "namespace_quota": {"pods": "x"}}
    done = playbook(collections_path, tmp_path, every_role_check(), variables)
    assert done.returncode != 0
    assert "'core_engine_replicas'" in failure(done) and "'mongodb_replicas'" in failure(done)
    assert "namespace_quota" not in failure(done)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"roles": ["namespace", "nothere"]}, "role: 'nothere' is not a role of botcore.platform"),
        ({"roles": ["namespace"], "errors": ["x"]}, "parameters are mutually exclusive: roles|errors"),
        ({"role": "lock", "roles": ["lock"]}, "parameters are mutually exclusive: role|roles"),
    ],
)
def test_roles_refuse_bad_arguments(collections_path, tmp_path, args, message):
    done = playbook(collections_path, tmp_path, {"botcore.platform.validate_settings": args})
    assert done.returncode != 0
    assert message in failure(done)
