"""Lifecycle of the local cluster provider, against real processes.

Runs a cluster of its own (own state directory, ports shifted by 200, or by BOTCORE_LIFECYCLE_PORT_OFFSET when
another checkout runs this test at the same time) so it never touches another one.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OFFSET = int(os.environ.get("BOTCORE_LIFECYCLE_PORT_OFFSET", "200"))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    state = tmp_path_factory.mktemp("cluster") / "state"
    environ = dict(
        os.environ,
        BOTCORE_CLUSTER_STATE=str(state),
        BOTCORE_CLUSTER_PORT_OFFSET=str(OFFSET),
        BOTCORE_CLUSTER_PROVIDER="local",
    )
    yield environ
    subprocess.run([sys.executable, "-m", "tools.localcluster", "down"], cwd=REPO, env=environ, check=False)


def cli(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "tools.localcluster", *args],
        cwd=REPO,
        env=env,
        check=check,
        capture_output=True,
        text=True,
    )


def record(env):
    return json.loads((Path(env["BOTCORE_CLUSTER_STATE"]) / "cluster.json").read_text())


def processes_referencing(path):
    marker = str(path).encode()
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker in (d / "cmdline").read_bytes():
                    found.append(int(d.name))
            except OSError:
                pass
    return found


def gone(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_up_starts_every_component_on_loopback(env):
    cli(env, "up")
    state = json.loads(cli(env, "status").stdout)
    assert state["api_ready"] is True
    assert set(state["processes"].values()) == {"running"}
    kubeconfig = Path(cli(env, "kubeconfig").stdout.strip())
    assert f"https://127.0.0.1:{16443 + OFFSET}" in kubeconfig.read_text()
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout.splitlines()
    pids = {str(p["pid"]) for p in record(env)["processes"].values()}
    ours = [line for line in listening if any(f"pid={pid}," in line for pid in pids)]
    assert ours, "no listening socket found for the cluster's processes"
    for line in ours:
        local = line.split()[3]
        assert local.startswith("127.0.0.1:"), f"listens beyond loopback: {line}"


def test_up_twice_is_a_no_op(env):
    before = record(env)["processes"]
    started = time.monotonic()
    result = cli(env, "up")
    assert "already running" in result.stderr
    assert time.monotonic() - started < 10
    assert record(env)["processes"] == before


def kubectl(env, *args, input=None, check=True):
    binary = cli(env, "bin", "kubectl").stdout.strip()
    kubeconfig = cli(env, "kubeconfig").stdout.strip()
    return subprocess.run(
        [binary, f"--kubeconfig={kubeconfig}", *args], input=input, check=check, capture_output=True, text=True
    )


# The test's own objects: one of each kind a deploy writes, among them a CRD, an object of it and a Secret.
OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lifecycle"}},
    {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.lifecycle.botcore.test"},
        "spec": {
            "group": "lifecycle.botcore.test",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                }
            ],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "credentials", "namespace": "lifecycle"},
        "stringData": {"password": "kept-across-restarts"},
    },
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "lifecycle"},
        "data": {"mode": "test"},
    },
]
WIDGET = {
    "apiVersion": "lifecycle.botcore.test/v1",
    "kind": "Widget",
    "metadata": {"name": "one", "namespace": "lifecycle"},
    "spec": {"size": 3},
}
SNAPSHOT = [
    ("namespace", "lifecycle", None),
    ("customresourcedefinition", "widgets.lifecycle.botcore.test", None),
    ("secret", "credentials", "lifecycle"),
    ("configmap", "settings", "lifecycle"),
    ("widgets.lifecycle.botcore.test", "one", "lifecycle"),
]


def snapshot(env):
    """uid and resourceVersion of every test object, and the Secret's value: all equal means nothing was lost."""
    found = {}
    for kind, name, namespace in SNAPSHOT:
        args = ["get", kind, name, "-o", "json"] + (["-n", namespace] if namespace else [])
        obj = json.loads(kubectl(env, *args).stdout)
        found[f"{kind}/{name}"] = (obj["metadata"]["uid"], obj["metadata"]["resourceVersion"], obj.get("data"))
    return found


@pytest.fixture(scope="module")
def objects(env):
    kubectl(env, "apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": OBJECTS}))
    kubectl(env, "wait", "--for=condition=Established", "crd/widgets.lifecycle.botcore.test", "--timeout=60s")
    kubectl(env, "apply", "-f", "-", input=json.dumps(WIDGET))
    return snapshot(env)


def wait_gone(pid):
    deadline = time.monotonic() + 10
    while not gone(pid):
        assert time.monotonic() < deadline, f"pid {pid} still alive 10s after SIGKILL"
        time.sleep(0.1)


@pytest.mark.parametrize("component", ["kube-apiserver", "etcd", "kwok"])
def test_a_killed_component_is_restarted_on_its_data(env, objects, component):
    old = record(env)["processes"]
    os.kill(old[component]["pid"], signal.SIGKILL)
    wait_gone(old[component]["pid"])
    assert json.loads(cli(env, "status", check=False).stdout)["processes"][component] == "stopped"
    started = time.monotonic()
    result = cli(env, "up")
    seconds = time.monotonic() - started
    print(f"\n`up` after a SIGKILLed {component}: {seconds:.1f}s")
    assert f"restarting {component} on the existing state" in result.stderr, result.stderr
    assert "REBUILDING" not in result.stderr
    new = record(env)["processes"]
    assert new[component]["pid"] != old[component]["pid"]
    # Only the dead component is restarted: the others keep running (they reconnect on their own).
    assert {n: e for n, e in new.items() if n != component} == {n: e for n, e in old.items() if n != component}
    assert json.loads(cli(env, "status").stdout)["api_ready"] is True
    assert snapshot(env) == objects
    # The store takes writes again, and the restarted component serves: kwok keeps the nodes Ready.
    kubectl(env, "create", "configmap", f"after-{component}", "-n", "lifecycle")
    kubectl(env, "wait", "--for=condition=Ready", "node", "--all", "--timeout=60s")
    kubectl(env, "delete", "configmap", f"after-{component}", "-n", "lifecycle")


def test_a_killed_cluster_is_restarted_on_its_data(env, objects):
    old = record(env)["processes"]
    for entry in old.values():
        os.kill(entry["pid"], signal.SIGKILL)
    for entry in old.values():
        wait_gone(entry["pid"])
    assert json.loads(cli(env, "status", check=False).stdout)["api_ready"] is False
    result = cli(env, "up")
    assert "restarting etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok" in result.stderr
    assert "REBUILDING" not in result.stderr
    new = record(env)["processes"]
    assert {e["pid"] for e in new.values()}.isdisjoint({e["pid"] for e in old.values()})
    assert snapshot(env) == objects


def test_up_after_a_restart_is_a_no_op(env, objects):
    before = record(env)["processes"]
    result = cli(env, "up")
    assert "already running" in result.stderr
    assert record(env)["processes"] == before


def test_a_state_from_other_versions_is_rebuilt_loudly(env, objects):
    state = Path(env["BOTCORE_CLUSTER_STATE"])
    data = record(env)
    for entry in data["processes"].values():
        os.kill(entry["pid"], signal.SIGKILL)
    data["versions"] = dict(data["versions"], etcd="v0.0.1")
    (state / "cluster.json").write_text(json.dumps(data))
    result = cli(env, "up")
    assert "REBUILDING THE CLUSTER FROM SCRATCH" in result.stderr
    assert "other component versions" in result.stderr
    assert kubectl(env, "get", "namespace", "lifecycle", check=False).returncode != 0


def test_a_corrupt_etcd_store_is_rebuilt_loudly(env):
    state = Path(env["BOTCORE_CLUSTER_STATE"])
    processes = record(env)["processes"]
    kubectl(env, "create", "namespace", "lost")
    for entry in processes.values():
        os.kill(entry["pid"], signal.SIGKILL)
    for entry in processes.values():
        wait_gone(entry["pid"])
    (state / "etcd" / "member" / "snap" / "db").write_bytes(b"not a bbolt file" * 4096)
    result = cli(env, "up")
    assert "etcd exited on its data directory" in result.stderr, result.stderr
    assert "REBUILDING THE CLUSTER FROM SCRATCH" in result.stderr
    assert json.loads(cli(env, "status").stdout)["api_ready"] is True
    assert kubectl(env, "get", "namespace", "lost", check=False).returncode != 0


def test_down_finds_processes_even_without_their_record(env):
    state = Path(env["BOTCORE_CLUSTER_STATE"])
    pids = [e["pid"] for e in record(env)["processes"].values()]
    (state / "cluster.json").unlink()  # as if `up` had been killed before it wrote its record
    cli(env, "down")
    time.sleep(0.5)
    assert not state.exists()
    assert processes_referencing(state) == []
    assert all(gone(pid) for pid in pids)


def test_down_when_nothing_runs_is_harmless(env):
    cli(env, "down")
    assert json.loads(cli(env, "status", check=False).stdout)["api_ready"] is False
