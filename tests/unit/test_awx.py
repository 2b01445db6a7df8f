"""The AWX definitions (playbooks/awx.yml, playbooks/vars/awx_job_templates.yml) match the playbooks they launch.

No AWX server runs here, so the contract is checked statically: every job template names a playbook that exists
and imports a role entry point; every survey question is an option of that entry point, with a compatible AWX type,
the same choices, the same `required` flag and the same default; every required option is asked for or set; and
awx.yml passes `ansible-playbook --syntax-check`, which resolves the awx.awx modules.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

REPO = Path(__file__).resolve().parents[2]
AWX_PLAYBOOK = REPO / "playbooks" / "awx.yml"
TEMPLATES = yaml.safe_load((REPO / "playbooks" / "vars" / "awx_job_templates.yml").read_text())["awx_job_templates"]
REGISTRY = yaml.safe_load((REPO / "roles" / "platform" / "defaults" / "main.yml").read_text())["platform_services"]
SETTINGS = yaml.safe_load((REPO / "playbooks" / "vars" / "awx.yml").read_text())
# The playbooks AWX runs: deploy, its preflight alone and the day-2 operations.
PLAYBOOKS = {
    "site.yml",
    "playbooks/scale.yml",
    "playbooks/restart.yml",
    "playbooks/rollback.yml",
    "playbooks/rotate_secrets.yml",
    "playbooks/status.yml",
    "playbooks/drift.yml",
    "playbooks/backup.yml",
    "playbooks/restore.yml",
    "playbooks/preflight.yml",
}
ROLE_ACTIONS = {
    f"{prefix}{action}" for prefix in ("", "ansible.builtin.") for action in ("import_role", "include_role")
}
# AWX survey question types for each argument spec type; booleans are a choice of "true" and "false".
SURVEY_TYPES = {
    "str": {"text", "textarea", "password", "multiplechoice"},
    "int": {"integer"},
    "float": {"float"},
    "list": {"multiselect"},
    "bool": {"multiplechoice"},
}
AWX_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def load(path):
    return yaml.safe_load(path.read_text()) or []


LOCK_ROLE = "botcore.platform.lock"


def entry_points(playbook):
    """(role, entry point) of every role a playbook imports or includes by a literal name, following import_playbook."""
    found = []
    for play in load(playbook):
        if "import_playbook" in play or "ansible.builtin.import_playbook" in play:
            target = play.get("import_playbook") or play["ansible.builtin.import_playbook"]
            found += entry_points(playbook.parent / target)
            continue
        found += [(role["role"] if isinstance(role, dict) else role, "main") for role in play.get("roles", [])]
        for section in ("pre_tasks", "tasks", "post_tasks"):
            for task in tasks_of(play.get(section) or []):
                for action in ROLE_ACTIONS & task.keys():
                    found.append((task[action]["name"], task[action].get("tasks_from", "main")))
    # The deploy lock that every writing playbook holds its tasks under is no operation: no survey asks for it.
    return [(role, entry) for role, entry in found if "{{" not in role and role != LOCK_ROLE]


def tasks_of(tasks):
    """Every task of a task list, those inside blocks (block, rescue, always) included."""
    for task in tasks:
        if "block" in task:
            for section in ("block", "rescue", "always"):
                yield from tasks_of(task.get(section) or [])
        else:
            yield task


def argument_spec(role, entry):
    namespace, collection, name = role.split(".")
    assert (namespace, collection) == ("botcore", "platform"), f"{role} is not a role of this collection"
    specs = load(REPO / "roles" / name / "meta" / "argument_specs.yml")["argument_specs"]
    if entry == "deploy":
        # main without its validation, which site.yml runs for every role first (validate takes main's options).
        assert specs.get("validate", {}).get("options") == specs["main"].get("options"), (
            f"role {name}: deploy needs a validate entry point with main's options"
        )
        entry = "main"
    assert entry in specs, f"role {name} has no entry point {entry}; it has {sorted(specs)}"
    return specs[entry].get("options", {})


def survey_default(question):
    """The survey's default as the playbook receives it, or None when there is none."""
    if "default" not in question:
        return None
    default = question["default"]
    if question["type"] == "multiselect":
        return [item for item in default.split("\n") if item] if isinstance(default, str) else default
    if question["type"] == "multiplechoice" and question.get("choices") == ["false", "true"]:
        return default == "true"
    return default


def spec_default(option):
    """The spec's default; one derived from the service registry is rendered against the registry's defaults."""
    default = option.get("default")
    if isinstance(default, str) and "{{" in default:
        return NativeEnvironment().from_string(default).render(platform_services=REGISTRY)
    return default


def template_id(template):
    return template["name"]


def test_one_job_template_per_playbook():
    names = [template["name"] for template in TEMPLATES]
    assert len(names) == len(set(names)), f"duplicate job template names: {names}"
    assert sorted(template["playbook"] for template in TEMPLATES) == sorted(PLAYBOOKS)


@pytest.mark.parametrize("template", TEMPLATES, ids=template_id)
def test_survey_questions_are_well_formed(template):
    for question in template["survey"]:
        where = f"{template['name']}: {question.get('variable')}"
        assert {"variable", "question_name", "question_description", "type", "required"} <= question.keys(), where
        assert question["type"] in AWX_TYPES, f"{where}: type {question['type']}"
        assert isinstance(question["required"], bool), f"{where}: required must be a boolean"
        choices = question.get("choices")
        assert (choices is not None) == (question["type"] in {"multiplechoice", "multiselect"}), where
        default = survey_default(question)
        if choices is not None and default is not None and question.get("choices") != ["false", "true"]:
            assert set(default if isinstance(default, list) else [default]) <= set(choices), f"{where}: default"
        if question["type"] == "integer" and default is not None:
            assert question.get("min", default) <= default <= question.get("max", default), f"{where}: default"


@pytest.mark.parametrize("template", TEMPLATES, ids=template_id)
def test_survey_matches_the_argument_spec(template):
    playbook = REPO / template["playbook"]
    assert playbook.is_file(), f"{template['name']}: {template['playbook']} does not exist"
    imported = entry_points(playbook)
    if template["survey"]:
        assert imported, f"{template['name']}: a survey needs a role entry point"
    asked = {question["variable"] for question in template["survey"]}
    # A playbook may run several entry points (status.yml: status, then drift): each question is an option of one at
    # least, and agrees with every entry point that has it.
    specs = {(role, entry): argument_spec(role, entry) for role, entry in imported}
    unknown = sorted(asked - {name for options in specs.values() for name in options})
    assert not unknown, f"{template['name']}: {unknown} are options of none of {imported}"
    for (role, entry), options in specs.items():
        problems = []
        for question in template["survey"]:
            name = question["variable"]
            if name not in options:
                continue
            option = options[name]
            if question["type"] not in SURVEY_TYPES.get(option["type"], set()):
                problems.append(f"{name}: survey type {question['type']} does not fit spec type {option['type']}")
            expected_choices = ["false", "true"] if option["type"] == "bool" else option.get("choices")
            if question.get("choices") != expected_choices:
                problems.append(f"{name}: choices {question.get('choices')} differ from the spec's {expected_choices}")
            if question["required"] != bool(option.get("required", False)):
                problems.append(f"{name}: required {question['required']} differs from the spec's")
            if survey_default(question) != spec_default(option):
                problems.append(
                    f"{name}: default {survey_default(question)!r} differs from the spec's {option.get('default')!r}"
                )
        required = {name for name, option in options.items() if option.get("required")}
        missing = required - asked - SETTINGS["awx_job_template_extra_vars"].keys()
        if missing:
            problems.append(f"required options neither asked nor set: {sorted(missing)}")
        assert not problems, f"{template['name']} ({role} {entry}):\n" + "\n".join(problems)


def test_extra_vars_are_platform_settings():
    options = argument_spec("botcore.platform.platform", "main")
    assert set(SETTINGS["awx_job_template_extra_vars"]) <= options.keys()


def test_the_playbook_applies_every_template_and_hides_the_credential():
    (play,) = load(AWX_PLAYBOOK)
    assert set(play["vars_files"]) == {"vars/awx.yml", "vars/awx_job_templates.yml"}
    tasks = {next(key for key in task if "." in key): task for task in play["tasks"]}
    assert tasks["awx.awx.job_template"]["loop"] == "{{ awx_job_templates }}"
    credential = tasks["awx.awx.credential"]
    assert credential["no_log"] is True
    assert credential["awx.awx.credential"]["credential_type"] == "OpenShift or Kubernetes API Bearer Token"
    assert set(credential["awx.awx.credential"]["inputs"]) == {"host", "bearer_token", "verify_ssl", "ssl_ca_cert"}


def test_the_playbook_passes_syntax_check():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "--syntax-check", str(AWX_PLAYBOOK)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
