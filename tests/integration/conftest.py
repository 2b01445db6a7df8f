"""What the integration tests share: a local cluster of a test module's own (own state directory and port offset,
always stopped at the end), the upstream CRDs on it, and this checkout as the botcore.platform collection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CRDS = Path(os.environ.get("BOTCORE_CRDS_DIR") or REPO.parent / "shared" / "crds")


class LocalCluster:
    """`python -m tools.localcluster` for one state directory and port offset."""

    def __init__(self, state, offset):
        self.env = dict(
            os.environ,
            BOTCORE_CLUSTER_STATE=str(state),
            BOTCORE_CLUSTER_PORT_OFFSET=str(offset),
            BOTCORE_CLUSTER_PROVIDER="local",
        )
        self.kubeconfig = None
        self.kubectl = None

    def run(self, *args):
        return subprocess.run(
            [sys.executable, "-m", "tools.localcluster", *args],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def up(self, *args):
        self.run("up", *args)
        self.kubeconfig = self.run("kubeconfig")
        self.kubectl = [self.run("bin", "kubectl"), f"--kubeconfig={self.kubeconfig}"]
        return self

    def down(self):
        subprocess.run([sys.executable, "-m", "tools.localcluster", "down"], cwd=REPO, env=self.env, check=False)

    def playbook_env(self, collections, tmpdir):
        """The environment of an ansible-playbook run against this cluster: the given collections path, no colour (the
        tests parse the output), temporary files in the test's own directory."""
        return dict(
            self.env,
            KUBECONFIG=self.kubeconfig,
            ANSIBLE_COLLECTIONS_PATH=collections,
            ANSIBLE_FORCE_COLOR="false",
            ANSIBLE_NOCOLOR="1",
            TMPDIR=str(tmpdir),
        )

    def install_crds(self):
        """The upstream CRDs of the add-ons (../shared/crds or BOTCORE_CRDS_DIR), as an admin would install them."""
        crds = sorted(CRDS.glob("*.yaml"))
        assert crds, f"no CRD in {CRDS}: set BOTCORE_CRDS_DIR"
        subprocess.run(
            [*self.kubectl, "apply", "--server-side", *(f"--filename={crd}" for crd in crds)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*self.kubectl, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"],
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def local_cluster(tmp_path_factory):
    """``local_cluster(offset)``: a cluster of this module's own, not started yet; every one is stopped at the end."""
    made = []

    def make(offset):
        made.append(LocalCluster(tmp_path_factory.mktemp("cluster") / "state", offset))
        return made[-1]

    try:
        yield make
    finally:
        for cluster in made:
            cluster.down()


@pytest.fixture(scope="module")
def checkout_collections(tmp_path_factory):
    """A collections path holding this checkout as botcore.platform, whatever ANSIBLE_COLLECTIONS_PATH says
    (kubernetes.core comes with the ansible package)."""
    path = tmp_path_factory.mktemp("collections")
    link = path / "ansible_collections" / "botcore" / "platform"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO, target_is_directory=True)
    return str(path)
