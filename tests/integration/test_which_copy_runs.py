"""The Makefile's targets run this checkout, never a copy of botcore.platform installed elsewhere.

A decoy is installed where copies land (`~/.ansible/collections` of a temporary HOME, as Molecule's prerun or
ansible-lint used to write one): the collection built from this checkout with every role task replaced by a loud
failure. A plain `ansible-playbook botcore.platform.site` finds it (so the decoy works); `make render` does not;
ansible-lint, as `make lint` runs it, writes no copy of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DECOY = "DECOY botcore.platform from ~/.ansible/collections ran"


def clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return dict(env, HOME=str(home), ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A HOME whose ~/.ansible/collections holds the decoy."""
    home = tmp_path_factory.mktemp("home")
    built = tmp_path_factory.mktemp("built")
    env = clean_env(home)
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(built), str(REPO)],
        env=env,
        check=True,
        capture_output=True,
    )
    (tarball,) = built.glob("*.tar.gz")
    # --no-deps: kubernetes.core comes with the ansible package; nothing is fetched.
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", str(tarball)],
        env=env,
        check=True,
        capture_output=True,
    )
    decoy = home / ".ansible" / "collections" / "ansible_collections" / "botcore" / "platform"
    tasks = list(decoy.glob("roles/*/tasks/*.yml"))
    assert len(tasks) > 20, tasks
    for path in tasks:
        path.write_text(f"---\n- name: Decoy\n  ansible.builtin.fail:\n    msg: {DECOY}\n")
    return home


def test_the_decoy_wins_without_the_makefile(home, tmp_path):
    done = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "botcore.platform.site",
            "-i",
            str(REPO / "inventories" / "production"),
            "-e",
            f"platform_render_dir={tmp_path / 'manifests'}",
        ],
        cwd=tmp_path,
        env=clean_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert DECOY in done.stdout, done.stdout[-3000:]


def test_make_render_runs_the_checkout(home):
    done = subprocess.run(
        ["make", "render", "INVENTORY=inventories/production"],
        cwd=REPO,
        env=clean_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert DECOY not in done.stdout
    assert "render: inventories/production:" in done.stdout


def test_ansible_lint_writes_no_copy_of_the_collection(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        ["make", "run", "CMD=ansible-lint --profile production site.yml"],
        cwd=REPO,
        env=clean_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not list(home.glob(".ansible/collections/ansible_collections/*")), "ansible-lint installed a copy"
    # The checkout was linted: the playbooks' roles were resolved and read.
    assert "Passed" in done.stdout + done.stderr
