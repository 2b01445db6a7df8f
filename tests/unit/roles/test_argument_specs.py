"""Every role's meta/argument_specs.yml documents exactly its defaults, with the same default values.

A spec `default:` is documentation only (Ansible takes defaults from defaults/main.yml), so nothing else
stops the two from drifting apart.
"""

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[3] / "roles").iterdir() if p.is_dir())


def load(path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_role_has_a_nested_spec_with_main_and_validate(role):
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    assert "main" in specs
    if (role / "tasks" / "validate.yml").exists():
        validate = specs["validate"]
        assert validate["options"] == specs["main"]["options"], "validate takes main's options (a YAML alias)"
        # Described as what it is: a check that deploys nothing, not a second copy of main's description.
        assert validate["short_description"] == f"Checks the {role.name} role's input and changes nothing."
        assert validate["description"] != specs["main"].get("description")


# Building blocks of the other roles, which a user does not call: ansible-doc says so first.
@pytest.mark.parametrize("role", ["apply", "helm_release"])
def test_internal_roles_say_so(role):
    main = load(ROLES[0].parent / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    assert main["short_description"].startswith("Internal: ")
    assert main["description"][0].startswith("Internal building block of ")


SERVICE_ROLES = ("core_engine", "ai_service", "dashboard")


def walk(options, where):
    for name, option in options.items():
        assert option.get("description"), f"{where}.{name} has no description"
        assert "type" in option, f"{where}.{name} has no type"
        if option["type"] == "list":
            assert "elements" in option, f"{where}.{name}: a list needs elements"
        if "options" in option:
            walk(option["options"], f"{where}.{name}")


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_spec_options_are_described_typed_and_nested(role):
    walk(load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options", {}), role.name)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_spec_matches_defaults(role):
    defaults_file = role / "defaults" / "main.yml"
    defaults = load(defaults_file) if defaults_file.exists() else {}
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    options = specs["main"].get("options", {})
    # A default may belong to another entry point only (e.g. a restore's confirmation); each one documents it alike.
    documented = {name for spec in specs.values() for name in spec.get("options", {})}
    # A service role's workload options are documented once, in the platform role's `workload` entry point.
    if role.name in SERVICE_ROLES:
        workload = load(role.parent / "platform" / "meta" / "argument_specs.yml")["argument_specs"]["workload"]
        documented |= {f"{role.name}_{name}" for name in workload["options"]}
    assert set(defaults) <= documented, f"undocumented defaults: {sorted(set(defaults) - documented)}"
    for entry, spec in specs.items():
        for name, option in spec.get("options", {}).items():
            if name in defaults and "default" in option:
                assert option["default"] == defaults[name], f"{role.name}: {name} differs between {entry} and defaults"
    for name, option in options.items():
        if not option.get("required"):
            assert name in defaults, f"{role.name}: optional {name} has no value in defaults/main.yml"
    prefix = role.name + "_"
    for name in defaults:
        assert name.startswith(prefix), f"{role.name}: {name} lacks the role prefix {prefix}"
