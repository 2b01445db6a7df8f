"""The local cluster's restart rules without processes: when `up` restarts on the existing state, in which order,
and when it rebuilds (tests/integration/test_localcluster.py runs the same against real processes)."""

import json

import pytest

from tools.localcluster import local
from tools.localcluster.paths import versions

PIDS = {name: 1000 + i for i, name in enumerate(local.ORDER)}


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A complete state directory whose recorded processes are alive unless a test says otherwise."""
    monkeypatch.setenv("BOTCORE_CLUSTER_STATE", str(tmp_path))
    for name in local.STATE_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    record = {
        "topology": "default",
        "versions": versions(),
        "complete": True,
        "processes": {n: {"pid": pid, "start_time": 1} for n, pid in PIDS.items()},
    }
    (tmp_path / "cluster.json").write_text(json.dumps(record))
    return record


@pytest.fixture
def calls(monkeypatch):
    """Replace every process and API call; record the launches, stops and waits in order."""
    seen = []
    monkeypatch.setattr(local, "_orphans", list)
    monkeypatch.setattr(local, "_port_open", lambda port: False)
    monkeypatch.setattr(local, "_stop_pids", lambda pids: seen.append(("stop", list(pids))))
    monkeypatch.setattr(local, "_launch", lambda names, record: seen.append(("launch", list(names))))
    monkeypatch.setattr(local, "_api_ready", lambda: False)
    return seen


def dead(monkeypatch, *names):
    monkeypatch.setattr(local, "_alive", lambda entry: entry["pid"] not in {PIDS[n] for n in names})


def test_a_complete_state_can_start_again(state):
    assert local._unusable(state) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r, d: r.pop("complete"), "its first start never finished"),
        (lambda r, d: r.update(versions=dict(r["versions"], etcd="v0.0.1")), "other component versions"),
        (lambda r, d: (d / "pki" / "sa.key").unlink(), "it lacks pki/sa.key"),
        (lambda r, d: r.clear(), "no readable cluster.json"),
    ],
)
def test_a_state_that_cannot_start_again_says_why(state, tmp_path, change, reason):
    change(state, tmp_path)
    assert reason in local._unusable(state)


def test_a_dead_etcd_is_restarted_alone_when_the_api_server_reconnects(state, calls, monkeypatch):
    dead(monkeypatch, "etcd")
    monkeypatch.setattr(local, "_wait", lambda *a, **k: None)
    record = local._restart(state)
    assert calls == [("stop", []), ("launch", ["etcd"]), ("launch", [])]
    assert record["restarts"][-1]["components"] == ["etcd"]


def test_an_api_server_that_does_not_reconnect_to_a_restarted_etcd_is_restarted(state, calls, monkeypatch):
    dead(monkeypatch, "etcd")

    def wait(what, check, timeout, name=None):
        raise local.ClusterError(f"timed out after {timeout}s waiting for {what}")

    monkeypatch.setattr(local, "_wait", wait)
    record = local._restart(state)
    assert calls == [
        ("stop", []),
        ("launch", ["etcd"]),
        ("stop", [PIDS["kube-apiserver"]]),
        ("launch", ["kube-apiserver"]),
        ("launch", []),
    ]
    assert record["restarts"][-1]["components"] == ["etcd", "kube-apiserver"]


def test_dead_dependents_start_after_the_api_server_in_order(state, calls, monkeypatch):
    dead(monkeypatch, "kwok", "kube-apiserver", "kube-scheduler")
    monkeypatch.setattr(local, "_wait", lambda *a, **k: pytest.fail("a dead API server is not waited for"))
    local._restart(state)
    assert calls == [("stop", []), ("launch", ["kube-apiserver"]), ("launch", ["kube-scheduler", "kwok"])]


def test_an_unrecorded_process_on_the_state_is_stopped_before_the_restart(state, calls, monkeypatch):
    dead(monkeypatch, "kwok")
    monkeypatch.setattr(local, "_orphans", lambda: [PIDS["etcd"], 4242])
    monkeypatch.setattr(local, "_wait", lambda *a, **k: None)
    local._restart(state)
    assert calls[0] == ("stop", [4242])


def test_a_busy_port_of_a_dead_component_fails_and_keeps_the_state(state, calls, monkeypatch, tmp_path):
    dead(monkeypatch, "etcd")
    monkeypatch.setattr(local, "_port_open", lambda port: port == local.PORTS["etcd-peer"])
    with pytest.raises(local.ClusterError, match=f"etcd:{local.PORTS['etcd-peer']}"):
        local._restart(state)
    assert ("launch", ["etcd"]) not in calls
    assert (tmp_path / "etcd" / "member").exists()


@pytest.fixture
def up(monkeypatch):
    """`up` with the restart, the rebuild and the fresh boot replaced by records of which ran."""
    ran = []
    monkeypatch.setattr(local, "running", lambda: False)
    monkeypatch.setattr(local, "_orphans", list)
    monkeypatch.setattr(local, "_port_open", lambda port: False)
    monkeypatch.setattr(local.build, "ensure", dict)
    monkeypatch.setattr(local, "down", lambda: ran.append("down") or local.shutil.rmtree(local.state_dir()))
    monkeypatch.setattr(local, "_boot", lambda record, nodes: ran.append("boot"))
    return ran


def test_up_on_a_usable_state_restarts_and_never_deletes(state, up, monkeypatch, capsys):
    monkeypatch.setattr(local, "_restart", lambda record: up.append("restart") or record)
    local.up()
    assert up == ["restart"]
    assert "REBUILDING" not in capsys.readouterr().err


def test_up_on_a_state_from_other_versions_rebuilds_loudly(state, up, tmp_path, capsys):
    state["versions"] = {"etcd": "v0.0.1"}
    (tmp_path / "cluster.json").write_text(json.dumps(state))
    local.up()
    assert up == ["down", "boot"]
    err = capsys.readouterr().err
    assert "WARNING: REBUILDING THE CLUSTER FROM SCRATCH" in err and "other component versions" in err
    assert json.loads((tmp_path / "cluster.json").read_text())["complete"] is True


def test_up_rebuilds_loudly_when_etcd_cannot_start_on_its_data(state, up, monkeypatch, capsys):
    def restart(record):
        raise local.StateUnusable("etcd exited on its data directory")

    monkeypatch.setattr(local, "_restart", restart)
    local.up()
    assert up == ["down", "boot"]
    assert "REBUILDING THE CLUSTER FROM SCRATCH - the state" in capsys.readouterr().err


def test_up_keeps_the_state_when_a_restart_fails_otherwise(state, up, monkeypatch, tmp_path):
    def restart(record):
        raise local.ClusterError("timed out after 120s waiting for kube-apiserver /readyz")

    monkeypatch.setattr(local, "_restart", restart)
    with pytest.raises(local.ClusterError, match="timed out"):
        local.up()
    assert up == []
    assert (tmp_path / "etcd" / "member").exists()


def test_up_with_another_topology_on_a_usable_state_fails(state, up):
    with pytest.raises(local.ClusterError, match="run `down` first to switch to 'minimum'"):
        local.up("minimum")
    assert up == []


def test_an_orphan_is_one_of_our_binaries_on_a_file_of_this_state_and_not_of_a_longer_named_one(tmp_path):
    cache, state = tmp_path / "cache", tmp_path / "cluster-bench"
    ours = f"{cache}/bin/etcd\0--data-dir={state}/etcd\0".encode()
    assert local._references(ours, state, cache)
    other_state = f"{cache}/bin/etcd\0--data-dir={state}-f/etcd\0".encode()
    assert not local._references(other_state, state, cache)
    other_binary = f"/usr/bin/etcd\0--data-dir={state}/etcd\0".encode()
    assert not local._references(other_binary, state, cache)
