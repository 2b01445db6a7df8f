"""The kind provider's commands, with subprocess mocked: no container engine or kind runs here.

What it would run: kind with a config that pins the node image to versions.json's Kubernetes, listens on 127.0.0.1
only and shifts its ports by BOTCORE_CLUSTER_PORT_OFFSET, under a cluster name of its state directory and offset;
podman when Docker is missing; kubectl from PATH, checked before kind starts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tools.localcluster import local, providers
from tools.localcluster.paths import versions

KUBERNETES = versions()["kubernetes"]


class Recorder:
    def __init__(self, clusters=""):
        self.calls = []
        self.clusters = clusters

    def __call__(self, argv, **kw):
        self.calls.append((argv, kw))
        if argv[:3] == ["kind", "get", "clusters"]:
            return subprocess.CompletedProcess(argv, 0, stdout=self.clusters, stderr="")
        if argv[:3] == ["kind", "create", "cluster"]:
            config = argv[argv.index("--config") + 1]
            self.config = json.loads(Path(config).read_text())
        return subprocess.CompletedProcess(argv, 0, stdout="", stderr="")

    def argvs(self):
        return [call[0] for call in self.calls]


@pytest.fixture
def kind(monkeypatch, tmp_path):
    monkeypatch.setenv("BOTCORE_CLUSTER_PROVIDER", "kind")
    monkeypatch.setenv("BOTCORE_CLUSTER_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("BOTCORE_CLUSTER_PORT_OFFSET", "2400")
    for var in ("KIND_EXPERIMENTAL_PROVIDER", "KIND_NODE_IMAGE"):
        monkeypatch.delenv(var, raising=False)
    tools = {"kind": "/usr/bin/kind", "docker": "/usr/bin/docker", "podman": "/usr/bin/podman", "kubectl": "/k/kubectl"}
    monkeypatch.setattr(providers.shutil, "which", tools.get)
    recorder = Recorder()
    monkeypatch.setattr(providers.subprocess, "run", recorder)
    return recorder, tools, tmp_path


def test_up_creates_a_pinned_single_node_cluster_on_127_0_0_1(kind):
    recorder, tmp_path = kind[0], kind[2]
    providers.up("default")
    name = providers.kind_name()
    kubeconfig = str(tmp_path / "state" / "kind-kubeconfig")
    assert recorder.argvs() == [
        ["/k/kubectl", f"--kubeconfig={kubeconfig}", "version", "--client"],
        ["kind", "get", "clusters"],
        [
            "kind", "create", "cluster", "--name", name, "--config", str(tmp_path / "state" / "kind-config.json"),
            "--kubeconfig", kubeconfig, "--wait", "120s",
        ],
        ["/k/kubectl", f"--kubeconfig={kubeconfig}", "apply", "--server-side", "-f", "-"],
    ]  # fmt: skip
    (node,) = recorder.config["nodes"]
    assert node["image"] == f"kindest/node:{KUBERNETES}"
    assert recorder.config["networking"] == {"apiServerAddress": "127.0.0.1", "apiServerPort": 16443 + 2400}
    assert [(m["listenAddress"], m["containerPort"], m["hostPort"]) for m in node["extraPortMappings"]] == [
        ("127.0.0.1", 30080, 18080 + 2400),
        ("127.0.0.1", 30443, 18443 + 2400),
    ]
    assert "fast-ssd" in recorder.calls[-1][1]["input"]


def test_up_again_only_exports_the_kubeconfig(kind):
    recorder = kind[0]
    recorder.clusters = f"other\n{providers.kind_name()}\n"
    providers.up("default")
    assert [argv[:3] for argv in recorder.argvs()[1:3]] == [
        ["kind", "get", "clusters"],
        ["kind", "export", "kubeconfig"],
    ]
    assert not [argv for argv in recorder.argvs() if argv[:3] == ["kind", "create", "cluster"]]


def test_the_node_image_can_be_named(kind, monkeypatch):
    monkeypatch.setenv("KIND_NODE_IMAGE", "mirror.local/kindest/node:v1.37.2@sha256:" + "0" * 64)
    providers.up("default")
    assert kind[0].config["nodes"][0]["image"].startswith("mirror.local/")


def test_the_cluster_name_follows_the_state_directory_and_the_offset(kind, monkeypatch, tmp_path):
    first = providers.kind_name()
    assert first.startswith("botcore-2400-")
    assert providers.kind_name() == first
    monkeypatch.setenv("BOTCORE_CLUSTER_PORT_OFFSET", "100")
    assert providers.kind_name().startswith("botcore-100-")
    monkeypatch.setenv("BOTCORE_CLUSTER_PORT_OFFSET", "2400")
    monkeypatch.setenv("BOTCORE_CLUSTER_STATE", str(tmp_path / "other"))
    assert providers.kind_name() != first


def test_without_kubectl_up_fails_naming_it_before_kind_runs(kind):
    recorder, tools = kind[0], kind[1]
    del tools["kubectl"]
    with pytest.raises(local.ClusterError, match="needs `kubectl` on PATH"):
        providers.up("default")
    assert recorder.calls == []


def test_podman_is_used_when_docker_is_missing(kind):
    recorder, tools = kind[0], kind[1]
    del tools["docker"]
    providers.up("default")
    kind_calls = [kw for argv, kw in recorder.calls if argv[0] == "kind"]
    assert kind_calls and all(kw["env"]["KIND_EXPERIMENTAL_PROVIDER"] == "podman" for kw in kind_calls)


def test_docker_is_used_when_it_is_there(kind):
    providers.up("default")
    assert all("KIND_EXPERIMENTAL_PROVIDER" not in kw["env"] for argv, kw in kind[0].calls if argv[0] == "kind")


def test_a_chosen_engine_must_exist(kind, monkeypatch):
    monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "nerdctl")
    with pytest.raises(local.ClusterError, match="KIND_EXPERIMENTAL_PROVIDER=nerdctl"):
        providers.up("default")


@pytest.mark.parametrize("missing", [("kind",), ("docker", "podman")])
def test_missing_kind_or_engine_is_named(kind, missing):
    for tool in missing:
        del kind[1][tool]
    with pytest.raises(local.ClusterError, match="needs"):
        providers.up("default")


def test_down_deletes_its_own_cluster_only(kind):
    recorder = kind[0]
    recorder.clusters = providers.kind_name()
    message = providers.down()
    assert recorder.argvs()[-1] == ["kind", "delete", "cluster", "--name", providers.kind_name()]
    assert message == f"deleted the kind cluster {providers.kind_name()}"


def test_down_without_a_cluster_says_so(kind):
    recorder = kind[0]
    recorder.clusters = "someone-elses"
    assert "nothing to stop" in providers.down()
    assert not [argv for argv in recorder.argvs() if "delete" in argv]


def test_bin_takes_kind_clients_from_path(kind):
    assert str(providers.binary("kubectl")) == "/k/kubectl"
    with pytest.raises(local.ClusterError, match="needs `helm` on PATH"):
        providers.binary("helm")


def test_down_of_the_local_provider_says_what_it_did(monkeypatch, tmp_path):
    monkeypatch.setenv("BOTCORE_CLUSTER_PROVIDER", "local")
    monkeypatch.setenv("BOTCORE_CLUSTER_STATE", str(tmp_path / "state"))
    assert providers.down().startswith("no local cluster at ")
    (tmp_path / "state").mkdir()
    monkeypatch.setattr(local, "status", lambda: {"processes": dict.fromkeys(local.ORDER, "stopped")})
    monkeypatch.setattr(local, "down", lambda: None)
    assert providers.down().startswith("stopped the local cluster (0 of 5 processes ran)")
