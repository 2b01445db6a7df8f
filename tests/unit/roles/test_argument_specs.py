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
        assert specs["validate"] == specs["main"], "the validate entry point must be the main spec (a YAML alias)"


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
    options = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options", {})
    assert set(defaults) <= set(options), f"undocumented defaults: {sorted(set(defaults) - set(options))}"
    for name, value in defaults.items():
        if "default" in options[name]:
            assert options[name]["default"] == value, f"{role.name}: {name} differs between spec and defaults"
    for name, option in options.items():
        if not option.get("required"):
            assert name in defaults, f"{role.name}: optional {name} has no value in defaults/main.yml"
    prefix = role.name + "_"
    for name in defaults:
        assert name.startswith(prefix), f"{role.name}: {name} lacks the role prefix {prefix}"
