"""botcore.platform.print_lines prints a table as its lines, through ansible-playbook's default output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
TABLE = ["component  object               ready", "mongodb    StatefulSet/mongodb  3/3"]


def playbook(collections_path, tmp_path, args, *extra):
    path = tmp_path / "play.yml"
    path.write_text(
        f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - botcore.platform.print_lines: {args}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("extra", [(), ("--check",)])
def test_the_lines_are_printed_as_they_are(collections_path, tmp_path, extra):
    done = playbook(collections_path, tmp_path, {"title": "local: namespace bot-core", "lines": TABLE}, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\n".join(["local: namespace bot-core", *TABLE]) + "\n" in done.stdout
    assert f'"{TABLE[0]}"' not in done.stdout
    assert "changed=0" in done.stdout


def test_without_a_title_only_the_lines(collections_path, tmp_path):
    done = playbook(collections_path, tmp_path, {"lines": TABLE})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\n" + "\n".join(TABLE) + "\n" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"title": "x"}, "missing required arguments: lines"),
        ({"lines": {"a": 1}}, "lines"),
        ({"lines": TABLE, "colour": "red"}, "colour"),
    ],
)
def test_bad_arguments_fail_naming_the_option(collections_path, tmp_path, args, message):
    done = playbook(collections_path, tmp_path, args)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
