"""Lifecycle of the local cluster provider, against real processes.

Runs a cluster of its own (own state directory, ports shifted by 200) so it never touches another one.
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


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    state = tmp_path_factory.mktemp("cluster") / "state"
    environ = dict(
        os.environ,
        BOTCORE_CLUSTER_STATE=str(state),
        BOTCORE_CLUSTER_PORT_OFFSET="200",
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
    assert "https://127.0.0.1:16643" in kubeconfig.read_text()
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


def test_state_left_by_a_killed_cluster_is_recovered(env):
    old = record(env)["processes"]
    for entry in old.values():
        os.kill(entry["pid"], signal.SIGKILL)
    time.sleep(1)
    assert json.loads(cli(env, "status", check=False).stdout)["api_ready"] is False
    result = cli(env, "up")
    assert "recovering" in result.stderr
    new = record(env)["processes"]
    assert {e["pid"] for e in new.values()}.isdisjoint({e["pid"] for e in old.values()})
    assert json.loads(cli(env, "status").stdout)["api_ready"] is True


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
