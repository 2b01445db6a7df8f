"""execution-environment.yml holds what the collection needs, at the versions the repository pins elsewhere.

`ansible-builder create` (offline: it writes the build context, builds no image) runs as `make ee` does, on a copy
of the definition in a temporary directory, and the generated Containerfile and requirement files are checked: the
pinned ansible-core, kubernetes.core in galaxy.yml's range, this collection built from the checkout, the Python
libraries pinned as in requirements.txt, and Helm at the version of tools/localcluster/versions.json, checksummed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEFINITION = yaml.safe_load((REPO / "execution-environment.yml").read_text())
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
HELM_VERSION = json.loads((REPO / "tools" / "localcluster" / "versions.json").read_text())["helm"]
PINS = dict(
    line.split("==", 1)
    for line in (REPO / "requirements.txt").read_text().splitlines()
    if "==" in line and line[0] != "#"
)
BIN = Path(sys.executable).parent


def run(*argv, cwd):
    result = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context of `make ee`, made beside a copy of the definition."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPO / "execution-environment.yml", work)
    (source,) = DEFINITION["additional_build_files"]
    built = work / "collection"
    run("ansible-galaxy", "collection", "build", "--output-path", str(built), str(REPO), cwd=work)
    (tarball,) = built.glob("botcore-platform-*.tar.gz")
    (work / source["src"]).parent.mkdir(parents=True)
    tarball.rename(work / source["src"])
    run(
        "ansible-builder",
        "create",
        "--file",
        str(work / "execution-environment.yml"),
        "--context",
        str(work / "context"),
        "--output-filename",
        "Containerfile",
        cwd=work,
    )
    return work / "context"


def test_definition_is_version_3_on_a_named_base_image():
    assert DEFINITION["version"] == 3
    assert DEFINITION["images"]["base_image"]["name"]


def test_containerfile_installs_the_pinned_ansible(context):
    containerfile = (context / "Containerfile").read_text()
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="(.*)"$', containerfile, re.MULTILINE).group(1).split()
    assert f"ansible-core=={PINS['ansible-core']}" in refs
    assert any(ref.startswith("ansible-runner==") for ref in refs), refs
    assert f'ARG EE_BASE_IMAGE="{DEFINITION["images"]["base_image"]["name"]}"' in containerfile
    assert "ansible-galaxy collection install" in containerfile


def test_galaxy_requirements_hold_kubernetes_core_and_this_collection(context):
    collections = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    by_name = {item["name"]: item for item in collections}
    assert by_name["kubernetes.core"]["version"] == GALAXY["dependencies"]["kubernetes.core"]
    (local,) = [item for item in collections if item.get("type") == "file"]
    # The galaxy stage copies the context's _build to /build.
    copied = context / "_build" / Path(local["name"]).relative_to("/build")
    with tarfile.open(copied) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
        names = archive.getnames()
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("botcore", "platform", GALAXY["version"])
    assert info["dependencies"] == GALAXY["dependencies"]
    assert {"roles/mongodb/tasks/backup.yml", "plugins/modules/rollout.py", "playbooks/site.yml"} <= set(names)


def test_python_requirements_are_pinned_as_in_requirements_txt(context):
    lines = (context / "_build" / "requirements.txt").read_text().split()
    assert sorted(lines) == sorted(
        f"{name}=={PINS[name]}" for name in ("kubernetes", "jsonpatch", "PyYAML", "promql-parser")
    )


def test_helm_is_the_local_clusters_version_and_checksummed(context):
    containerfile = (context / "Containerfile").read_text()
    assert re.findall(r"^ARG HELM_VERSION=(\S+)$", containerfile, re.MULTILINE) == [HELM_VERSION]
    (install,) = [line for line in containerfile.splitlines() if "get.helm.sh" in line]
    # Downloaded, verified, then installed: the checksum check comes before the archive is unpacked.
    assert install.index("curl -fsSLo /tmp/helm.tar.gz") < install.index("sha256sum -c") < install.index("tar -xzf")
    assert 'helm version --short | grep -q "^${HELM_VERSION}+"' in install
