# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible_collections.botcore.platform.plugins.plugin_utils import argument_specs

ROLES = Path(__file__).resolve().parents[4] / "roles"


def test_every_role_reads_as_its_file_parses():
    for role in sorted(path for path in ROLES.iterdir() if (path / "meta" / "argument_specs.yml").exists()):
        expected = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
        assert argument_specs.read(str(role)) == expected, role.name


def test_parsed_once_per_file_version_and_handed_out_as_copies(tmp_path, monkeypatch):
    role = tmp_path / "demo"
    (role / "meta").mkdir(parents=True)
    spec = role / "meta" / "argument_specs.yml"
    spec.write_text("argument_specs: {main: {options: {demo_a: {type: str}}}}\n")
    loads = []
    real_load = yaml.load
    monkeypatch.setattr(argument_specs.yaml, "load", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    first = argument_specs.read(str(role))
    first["argument_specs"]["main"]["options"]["demo_b"] = {}
    second = argument_specs.read(str(role))
    assert second == {"argument_specs": {"main": {"options": {"demo_a": {"type": "str"}}}}}
    assert len(loads) == 1
    # A changed file (another version) is read again.
    spec.write_text("argument_specs: {main: {options: {}}}\n")
    os.utime(spec, ns=(1, 1))
    assert argument_specs.read(str(role)) == {"argument_specs": {"main": {"options": {}}}}
    assert len(loads) == 2


def test_a_role_without_a_spec_is_named(tmp_path):
    with pytest.raises(AnsibleError, match=r"argument_specs: .*/nothere/meta/argument_specs\.yml cannot be read"):
        argument_specs.read(str(tmp_path / "nothere"))


def test_the_role_names_are_the_roles_directories():
    assert argument_specs.role_names() == sorted(path.name for path in ROLES.iterdir() if path.is_dir())
    assert {"platform", "ingress", "ingress_nginx"} <= set(argument_specs.role_names())
