"""The three cluster providers behind one setting, BOTCORE_CLUSTER_PROVIDER: local (default), kind, existing."""

import os
import shutil
import subprocess
from pathlib import Path

from . import local
from .paths import state_dir

KIND_NAME = "botcore"


def name() -> str:
    provider = os.environ.get("BOTCORE_CLUSTER_PROVIDER", "local")
    if provider not in ("local", "kind", "existing"):
        raise local.ClusterError(f"BOTCORE_CLUSTER_PROVIDER={provider!r}: choose local, kind or existing")
    return provider


def kubeconfig_path() -> Path:
    provider = name()
    if provider == "existing":
        return Path(os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config"))
    if provider == "kind":
        return state_dir() / "kind-kubeconfig"
    return local.kubeconfig_path()


def _kind(*args, **kw):
    if shutil.which("kind") is None:
        raise local.ClusterError("the kind provider needs the `kind` command and a working Docker")
    return subprocess.run(["kind", *args], check=True, **kw)


def _kubectl(*args, **kw):
    return subprocess.run(["kubectl", f"--kubeconfig={kubeconfig_path()}", *args], check=True, **kw)


FAST_SSD_FOR_KIND = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast-ssd}
provisioner: rancher.io/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
"""


def up(topology: str) -> None:
    provider = name()
    if provider == "local":
        local.up(topology)
    elif provider == "kind":
        clusters = _kind("get", "clusters", capture_output=True, text=True).stdout.split()
        state_dir().mkdir(parents=True, exist_ok=True)
        if KIND_NAME not in clusters:
            _kind("create", "cluster", "--name", KIND_NAME, "--kubeconfig", str(kubeconfig_path()), "--wait", "120s")
        else:
            _kind("export", "kubeconfig", "--name", KIND_NAME, "--kubeconfig", str(kubeconfig_path()))
        _kubectl("apply", "--server-side", "-f", "-", input=FAST_SSD_FOR_KIND, text=True)
    else:
        _kubectl("get", "--raw=/readyz", capture_output=True)


def down() -> str:
    """Stop the cluster; return what was done, for the user."""
    provider = name()
    if provider == "local":
        if not state_dir().exists():
            return f"no local cluster at {state_dir()}: nothing to stop"
        running = [n for n, s in local.status()["processes"].items() if s == "running"]
        local.down()
        return f"stopped the local cluster ({len(running)} of {len(local.ORDER)} processes ran) and removed {state_dir()}"
    if provider == "kind":
        _kind("delete", "cluster", "--name", KIND_NAME)
        shutil.rmtree(state_dir(), ignore_errors=True)
        return f"deleted the kind cluster {KIND_NAME}"
    return f"an existing cluster ({kubeconfig_path()}) is not ours to stop: left running"


def status() -> dict:
    if name() == "local":
        return local.status()
    ok = (
        subprocess.run(
            ["kubectl", f"--kubeconfig={kubeconfig_path()}", "get", "--raw=/readyz"], capture_output=True, check=False
        ).returncode
        == 0
    )
    return {"provider": name(), "kubeconfig": str(kubeconfig_path()), "api_ready": ok}
