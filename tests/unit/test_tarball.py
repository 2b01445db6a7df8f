"""The built collection holds what a user runs and reads, and nothing a developer's checkout accumulates.

The tarball is built from a copy of the checkout into which the junk of a working checkout is planted first (tool
caches, bytecode, test output, build output, a Molecule cache), so build_ignore is tested on junk that exists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
# What a user of the installed collection runs or reads.
SHIPPED = {
    "MANIFEST.json",
    "FILES.json",
    "LICENSE",
    "README.md",
    "CHANGELOG.rst",
    "site.yml",
    "changelogs",
    "examples",
    "inventories",
    "meta",
    "playbooks",
    "rbac",
    "plugins",
    "roles",
}
JUNK = (
    ".ruff_cache/0.17.6/123",
    ".pytest_cache/v/cache/nodeids",
    "plugins/filter/__pycache__/quantities.cpython-311.pyc",
    "tests/output/.tmp/sanity.json",
    "build/manifests/namespace/namespace.yaml",
    "molecule/platform/.cache/x",
    "changelogs/fragments/unreleased.yml",
    "changelogs/.plugin-cache.yaml",
)


def tracked_files():
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [path for path in listed.split("\0") if path and (REPO / path).is_file()]


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    work = tmp_path_factory.mktemp("tarball")
    source = work / "botcore" / "platform"
    for path in tracked_files():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, source / path)
    for path in JUNK:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text("junk\n")
    subprocess.run(
        [str(Path(sys.executable).parent / "ansible-galaxy"), "collection", "build", "--output-path", str(work), "."],
        cwd=source,
        capture_output=True,
        check=True,
    )
    (tarball,) = work.glob("botcore-platform-*.tar.gz")
    with tarfile.open(tarball) as archive:
        return [member.name for member in archive.getmembers()]


def test_the_tarball_holds_only_what_a_user_runs_and_reads(members):
    top = {name.split("/", 1)[0] for name in members}
    assert top == SHIPPED


@pytest.mark.parametrize("junk", JUNK)
def test_no_junk_of_a_working_checkout_is_shipped(members, junk):
    assert junk not in members


def test_no_cache_or_bytecode_anywhere(members):
    assert not [name for name in members if "__pycache__" in name or name.endswith(".pyc") or "_cache" in name]


def test_the_changelog_ships_without_fragments(members):
    assert sorted(name for name in members if name.startswith("changelogs/")) == [
        "changelogs/changelog.yaml",
        "changelogs/config.yaml",
    ]


def test_the_entry_points_a_user_needs_are_shipped(members):
    for name in (
        "playbooks/site.yml",
        "playbooks/status.yml",
        "roles/platform/meta/argument_specs.yml",
        "meta/runtime.yml",
        "examples/consumer/requirements.yml",
    ):
        assert name in members


def test_galaxy_metadata_names_one_real_project():
    urls = {key: GALAXY[key] for key in ("repository", "documentation", "homepage", "issues")}
    for key, url in urls.items():
        assert url.startswith(GALAXY["repository"]), (key, url)
        assert "example" not in url, (key, url)
    assert urls["issues"] == GALAXY["repository"] + "/issues"


def test_the_changelog_has_the_release_galaxy_yml_names():
    changelog = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())
    assert GALAXY["version"] in changelog["releases"]
    release = changelog["releases"][GALAXY["version"]]
    assert release["changes"]["release_summary"]
    assert all(not name[0].isdigit() for name in release["fragments"]), release["fragments"]
