"""The three cluster providers behind one setting, BOTCORE_CLUSTER_PROVIDER: local (default), kind, existing."""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from . import build, local
from .paths import state_dir, versions

# kind's node image for the collection's Kubernetes version (versions.json). kind publishes kindest/node per
# Kubernetes release; KIND_NODE_IMAGE names another (e.g. one with a digest, or a mirror's).
KIND_NODE_IMAGE = "kindest/node"
# The front door on kind: ingress-nginx's NodePorts (inventories/kind pins them), mapped to 127.0.0.1 on the host.
KIND_NODE_PORTS = {"http": 30080, "https": 30443}
KIND_HOST_PORTS = {"http": 18080, "https": 18443}
KIND_API_PORT = 16443  # the local cluster's API server port: one port scheme, shifted by the same offset


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


def _offset() -> int:
    return int(os.environ.get("BOTCORE_CLUSTER_PORT_OFFSET", "0"))


def kind_name() -> str:
    """One kind cluster per state directory and port offset, as the local provider keeps one per state."""
    digest = hashlib.sha256(str(state_dir().resolve()).encode()).hexdigest()[:6]
    return f"botcore-{_offset()}-{digest}"


def kind_node_image() -> str:
    return os.environ.get("KIND_NODE_IMAGE") or f"{KIND_NODE_IMAGE}:{versions()['kubernetes']}"


def kind_config() -> str:
    """kind's cluster configuration: one node, everything on 127.0.0.1, ports shifted by the offset."""
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "networking": {"apiServerAddress": "127.0.0.1", "apiServerPort": KIND_API_PORT + _offset()},
        "nodes": [
            {
                "role": "control-plane",
                "image": kind_node_image(),
                "extraPortMappings": [
                    {
                        "containerPort": KIND_NODE_PORTS[name],
                        "hostPort": KIND_HOST_PORTS[name] + _offset(),
                        "listenAddress": "127.0.0.1",
                        "protocol": "TCP",
                    }
                    for name in ("http", "https")
                ],
            }
        ],
    }
    return json.dumps(config, indent=2)


def _kind_env() -> dict:
    """kind's environment: Docker when it is there, else podman (KIND_EXPERIMENTAL_PROVIDER), unless one is set."""
    if shutil.which("kind") is None:
        raise local.ClusterError("the kind provider needs the `kind` command on PATH (https://kind.sigs.k8s.io)")
    env = dict(os.environ)
    chosen = env.get("KIND_EXPERIMENTAL_PROVIDER")
    if chosen:
        if shutil.which(chosen) is None:
            raise local.ClusterError(f"KIND_EXPERIMENTAL_PROVIDER={chosen}, but `{chosen}` is not on PATH")
    elif shutil.which("docker") is None:
        if shutil.which("podman") is None:
            raise local.ClusterError(
                "the kind provider needs Docker or podman: neither `docker` nor `podman` is on PATH"
            )
        env["KIND_EXPERIMENTAL_PROVIDER"] = "podman"
    return env


def _kind(*args, **kw):
    return subprocess.run(["kind", *args], check=True, env=_kind_env(), **kw)


def binary(tool: str) -> Path:
    """A client binary for this provider: the local cluster's own build, else the one on PATH (kind builds none)."""
    if name() == "local":
        return build.binary(tool)
    found = shutil.which(tool)
    if found is None:
        raise local.ClusterError(
            f"the {name()} provider needs `{tool}` on PATH (kubectl within one minor version of "
            f"{versions()['kubernetes']}, helm {versions()['helm']}); only the local provider builds its own"
        )
    return Path(found)


def _kubectl(*args, check=True, **kw):
    return subprocess.run([str(binary("kubectl")), f"--kubeconfig={kubeconfig_path()}", *args], check=check, **kw)


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
        _kubectl("version", "--client", capture_output=True)  # fails early, naming kubectl, before kind starts
        clusters = _kind("get", "clusters", capture_output=True, text=True).stdout.split()
        state_dir().mkdir(parents=True, exist_ok=True)
        if kind_name() not in clusters:
            config = state_dir() / "kind-config.json"
            config.write_text(kind_config())
            _kind(
                "create", "cluster", "--name", kind_name(), "--config", str(config),
                "--kubeconfig", str(kubeconfig_path()), "--wait", "120s",
            )  # fmt: skip
        else:
            _kind("export", "kubeconfig", "--name", kind_name(), "--kubeconfig", str(kubeconfig_path()))
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
        return f"stopped the local cluster ({len(running)} of {len(local.ORDER)} processes ran), removed {state_dir()}"
    if provider == "kind":
        if kind_name() not in _kind("get", "clusters", capture_output=True, text=True).stdout.split():
            shutil.rmtree(state_dir(), ignore_errors=True)
            return f"no kind cluster {kind_name()}: nothing to stop"
        _kind("delete", "cluster", "--name", kind_name())
        shutil.rmtree(state_dir(), ignore_errors=True)
        return f"deleted the kind cluster {kind_name()}"
    return f"an existing cluster ({kubeconfig_path()}) is not ours to stop: left running"


def status() -> dict:
    if name() == "local":
        return local.status()
    ok = _kubectl("get", "--raw=/readyz", capture_output=True, check=False).returncode == 0
    state = {"provider": name(), "kubeconfig": str(kubeconfig_path()), "api_ready": ok}
    return state | ({"cluster": kind_name()} if name() == "kind" else {})
