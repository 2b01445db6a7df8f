"""Each real inventory, and the consumer example, has a vault.yml.example that names every secret variable.

"Every secret variable" is every option marked no_log in a role's argument spec; the example must name exactly
those, so a new secret option without its vault line, or a line for a variable no role knows, fails here.
Ansible must not read the .example file as group_vars (its empty strings would hide nothing, but a filled-in copy
left unencrypted under that name would be read otherwise).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INVENTORIES = ("inventories/production", "inventories/staging", "examples/consumer/inventory")


def no_log_options():
    found = set()

    def walk(options):
        for name, spec in (options or {}).items():
            if spec.get("no_log"):
                found.add(name)
            walk(spec.get("options"))

    for path in REPO.glob("roles/*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            walk(entry.get("options"))
    return found


def test_the_secret_options_are_found():
    assert {"secrets_binance_api_key", "secrets_openai_api_key", "secrets_mongodb_keyfile"} <= no_log_options()


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_the_vault_example_names_every_secret_variable(inventory):
    example = yaml.safe_load((REPO / inventory / "group_vars" / "clusters" / "vault.yml.example").read_text())
    assert set(example) == no_log_options()
    assert all(value == "" for value in example.values()), "an example holds no value"


def hostvars(inventory: Path) -> dict:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["_meta"]["hostvars"]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_ansible_reads_vault_yml_but_not_the_example(inventory, tmp_path):
    variables = hostvars(REPO / inventory)
    assert variables
    assert all(not set(host) & no_log_options() for host in variables.values())
    # The copy the user makes is read.
    copy = tmp_path / "inventory"
    shutil.copytree(REPO / inventory, copy)
    (copy / "group_vars" / "clusters" / "vault.yml.example").rename(copy / "group_vars" / "clusters" / "vault.yml")
    assert all(set(host) >= no_log_options() for host in hostvars(copy).values())
