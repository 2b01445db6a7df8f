"""The collection as a platform team consumes it: examples/consumer, outside the repository, from the built tarball.

On a cluster of its own (own state directory, ports shifted by 2450): the tarball is built from this checkout,
installed offline into the project's ./collections with `ansible-galaxy collection install -r requirements.yml`
(kubernetes.core from the ansible package), the example's vault.yml is written from vault.yml.example and encrypted
with a test password, and `ansible-playbook deploy.yml` (importing botcore.platform.site) deploys the platform from
a directory outside the repository, with a HOME of its own and no ANSIBLE_* variable; a rerun changes nothing.
The cluster gets the upstream CRDs of the add-ons the example expects to exist (../shared/crds), as the Molecule
scenarios install them; the example installs no add-on.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLE = REPO / "examples" / "consumer"
RECAP = re.compile(r"^production\s*:\s*ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=0\s+failed=0", re.M)
VAULT = {
    "secrets_binance_api_key": "binance-key-from-the-vault",
    "secrets_binance_secret_key": "binance-secret-from-the-vault",
    "secrets_openai_api_key": "openai-key-from-the-vault",
}


@pytest.fixture(scope="module")
def cluster(local_cluster):
    cluster = local_cluster(2450).up()
    cluster.install_crds()
    return {"kubectl": cluster.kubectl, "kubeconfig": cluster.kubeconfig}


@pytest.fixture(scope="module")
def project(tmp_path_factory, cluster):
    """The example copied outside the repository, with the collection installed and the vault encrypted."""
    work = tmp_path_factory.mktemp("consumer")
    home = work / "home"
    home.mkdir()
    project = work / "project"
    shutil.copytree(EXAMPLE, project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "K8S_AUTH_"))}
    env.update(HOME=str(home), KUBECONFIG=cluster["kubeconfig"], ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")

    def run(*argv):
        done = subprocess.run(
            [str(BIN / argv[0]), *argv[1:]], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-5000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    run("ansible-galaxy", "collection", "build", "--output-path", str(project), str(REPO))
    run("ansible-galaxy", "collection", "install", "--offline", "-r", "requirements.yml")
    vars_dir = project / "inventory" / "group_vars" / "clusters"
    vault = yaml.safe_load((vars_dir / "vault.yml.example").read_text()) | VAULT
    (vars_dir / "vault.yml").write_text(yaml.safe_dump(vault))
    (work / "vault-password").write_text("a test password\n")
    run("ansible-vault", "encrypt", "--vault-password-file", str(work / "vault-password"), str(vars_dir / "vault.yml"))
    assert (vars_dir / "vault.yml").read_text().startswith("$ANSIBLE_VAULT;")
    return {"dir": project, "run": run, "password": work / "vault-password", "home": home}


def deploy(project):
    return project["run"]("ansible-playbook", "deploy.yml", "--vault-password-file", str(project["password"]))


def test_the_installed_collection_is_the_one_found(project):
    listed = project["run"]("ansible-galaxy", "collection", "list", "botcore.platform", "--format", "json")
    paths = {path for path, found in json.loads(listed).items() if "botcore.platform" in found}
    assert paths == {str(project["dir"] / "collections" / "ansible_collections")}
    installed = project["dir"] / "collections" / "ansible_collections" / "botcore" / "platform"
    assert (installed / "MANIFEST.json").is_file() and not installed.is_symlink()
    assert not (project["home"] / ".ansible" / "collections" / "ansible_collections").exists()


def test_the_example_deploys_with_its_vault_and_a_rerun_changes_nothing(project, cluster):
    first = deploy(project)
    assert int(RECAP.search(first)["changed"]) > 0, first[-3000:]
    assert not any(value in first for value in VAULT.values()), "a vault value was printed"
    secret = subprocess.run(
        [*cluster["kubectl"], "get", "secret", "binance-secrets", "-n", "bot-core-production", "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(secret.stdout)["data"]
    assert base64.b64decode(data["api-key"]).decode() == VAULT["secrets_binance_api_key"]
    ready = subprocess.run(
        [*cluster["kubectl"], "get", "deployments,statefulsets", "-n", "bot-core-production", "-o", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    workloads = json.loads(ready.stdout)["items"]
    assert len(workloads) == 4
    assert all(w["status"].get("readyReplicas") == w["spec"]["replicas"] for w in workloads), workloads
    second = deploy(project)
    assert RECAP.search(second)["changed"] == "0", second[-5000:]


def test_day_2_by_fqcn_prints_the_status_table_as_lines(project):
    out = project["run"](
        "ansible-playbook", "botcore.platform.status", "--vault-password-file", str(project["password"])
    )
    assert "\nproduction: namespace bot-core-production\nCOMPONENT " in out, out[-3000:]
    assert re.search(r"^mongodb\s+StatefulSet/mongodb\s+3/3\s", out, re.M), out[-3000:]
    assert '"COMPONENT' not in out
