"""botcore.platform.deploy_lock through Ansible against a real local cluster.

Runs a cluster of its own (own state directory, ports shifted by 1400), started and stopped here.
"""

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "lock-test"  # never created: the lock must work before the platform namespace exists
LEASE = f"botcore-platform-deploy-{NAMESPACE}"


@pytest.fixture(scope="module")
def cluster(local_cluster):
    cluster = local_cluster(1400).up()
    return {
        "kubectl": cluster.kubectl,
        "env": dict(
            cluster.env,
            K8S_AUTH_KUBECONFIG=cluster.kubeconfig,
            ANSIBLE_LOAD_CALLBACK_PLUGINS="true",
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ),
    }


def command(**args):
    args = {"namespace": NAMESPACE, "wait_sleep": 1, **args}
    return [
        str(Path(sys.executable).parent / "ansible"),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-m",
        "botcore.platform.deploy_lock",
        "-a",
        json.dumps(args),
    ]


def result_of(stdout):
    return json.loads(stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def lock(cluster, *extra, **args):
    """Run the module once; return its result."""
    # A failed module exits non-zero: its result, not the exit code, tells what happened.
    done = subprocess.run(
        command(**args) + list(extra), env=cluster["env"], capture_output=True, text=True, check=False
    )
    return result_of(done.stdout)


def lease(cluster):
    out = subprocess.run(
        [*cluster["kubectl"], "get", "lease", LEASE, "-n", "default", "-o", "json", "--ignore-not-found"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out) if out.strip() else None


@pytest.fixture
def clean(cluster):
    subprocess.run([*cluster["kubectl"], "delete", "lease", LEASE, "-n", "default", "--ignore-not-found"], check=True)
    return cluster


def test_of_three_racing_acquirers_exactly_one_wins_and_the_others_fail_naming_it(clean):
    holders = [f"racer-{i}@test:{i}" for i in range(3)]
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            command(holder=h, job=f"race {h}", wait_timeout=8, lease_duration=120),
            env=clean["env"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for h in holders
    ]
    results = [result_of(p.communicate()[0]) for p in procs]
    seconds = time.monotonic() - started
    winners = [r for r in results if not r.get("failed")]
    assert len(winners) == 1, results
    winner = winners[0]["holder"]
    assert winners[0]["operation"] == "create"
    assert lease(clean)["spec"]["holderIdentity"] == winner
    for loser in (r for r in results if r.get("failed")):
        assert f"is held by {winner} (job race {winner})" in loser["msg"]
        assert "waited 8s" in loser["msg"] and "expires" in loser["msg"]
    assert seconds >= 8


def micro_time(stamp):
    """A Lease's MicroTime (RFC 3339 with microseconds, Z)."""
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_lock_left_by_a_killed_run_expires_and_is_taken_over(clean, tmp_path):
    playbook = tmp_path / "killed.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "name": "A run that takes the lock and is killed",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Take the lock",
                            "botcore.platform.deploy_lock": {"namespace": NAMESPACE, "lease_duration": 6},
                        },
                        {"name": "Work for a long time", "ansible.builtin.pause": {"seconds": 300}},
                    ],
                }
            ]
        )
    )
    run = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            str(playbook),
        ],
        env=clean["env"],
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while lease(clean) is None:
        assert run.poll() is None and time.monotonic() < deadline, "the run never took the lock"
        time.sleep(0.5)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    left = lease(clean)["spec"]
    result = lock(clean, holder="next@test:2", wait_timeout=30)
    assert not result.get("failed"), result
    assert result["operation"] == "take_over"
    assert result["previous"]["holder"] == left["holderIdentity"]
    # Taken over once the 6 s lease had run out, not before, however long this machine took to start the next run.
    spec = lease(clean)["spec"]
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("next@test:2", 1)
    assert 6 <= (micro_time(spec["acquireTime"]) - micro_time(left["renewTime"])).total_seconds() <= 6 + 10
    assert result["waited"] <= 10


def test_renew_and_release_only_our_lock_and_break_a_stale_one(clean):
    assert lock(clean, holder="ops@test:1")["operation"] == "create"
    version = lease(clean)["metadata"]["resourceVersion"]
    renewed = lock(clean, holder="ops@test:1", state="renewed")
    assert renewed["operation"] == "renew"
    assert lease(clean)["metadata"]["resourceVersion"] != version
    other = lock(clean, holder="other@test:2", state="released")
    assert other["failed"] is True
    assert "held by ops@test:1" in other["msg"] and "break=true" in other["msg"]
    assert lock(clean, holder="other@test:2", state="renewed")["failed"] is True
    assert lease(clean)["spec"]["holderIdentity"] == "ops@test:1"
    broken = lock(clean, state="released", **{"break": True})
    assert (broken["operation"], broken["previous"]["holder"]) == ("break", "ops@test:1")
    assert lease(clean) is None
    assert lock(clean, holder="ops@test:1", state="renewed")["failed"] is True
    assert lock(clean, holder="ops@test:3")["operation"] == "create"
    released = lock(clean, holder="ops@test:3", state="released")
    assert (released["changed"], released["operation"]) == (True, "release")
    assert lease(clean) is None
    again = lock(clean, holder="ops@test:3", state="released")
    assert (again["changed"], again["operation"]) == (False, "nothing")


def test_check_mode_writes_nothing(clean):
    assert lock(clean, "--check", holder="ops@test:1")["operation"] == "create"
    assert lease(clean) is None
    lock(clean, holder="ops@test:1")
    version = lease(clean)["metadata"]["resourceVersion"]
    waiting = lock(clean, "--check", holder="other@test:2", wait_timeout=30)
    assert (waiting["changed"], waiting["operation"], waiting["waited"]) == (False, "wait", 0)
    assert waiting["previous"]["holder"] == "ops@test:1"
    assert lock(clean, "--check", holder="ops@test:1", state="released")["operation"] == "release"
    assert lease(clean)["metadata"]["resourceVersion"] == version
