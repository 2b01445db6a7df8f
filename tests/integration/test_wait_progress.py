"""Progress lines of long waits (issue 12): botcore.platform.apply and rollout on a local cluster.

Runs a cluster of its own (own state directory, ports shifted by 2550) and drives the modules through
ansible-playbook with a short progress_interval. A Deployment with minReadySeconds takes that long to become
available after kwok has made its pods Ready, a `-broken` image never does: both outlast a slice of 2 seconds.
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NAMESPACE = "progress"
LINE = re.compile(r"^(apply web|rollout restarted): Deployment progress/web \d+/2 ready, .+ \((\d+) s of (\d+) s\)$")

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: The task under test
      botcore.platform.{module}: "{{{{ module_args }}}}"
      register: outcome
      ignore_errors: true
    - name: Keep its result
      ansible.builtin.copy:
        content: "{{{{ outcome | to_json }}}}"
        dest: "{{{{ result_file }}}}"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def cluster(local_cluster, checkout_collections, tmp_path_factory):
    work = tmp_path_factory.mktemp("progress")
    cluster = local_cluster(2550).up()
    return {
        "work": work,
        "env": cluster.playbook_env(checkout_collections, work),
    }


def run(cluster, module, **module_args):
    """Run one task of the module; return (its result, its progress lines, seconds the playbook took)."""
    work = cluster["work"]
    (work / "play.yml").write_text(PLAY.format(module=module))
    (work / "vars.json").write_text(json.dumps({"module_args": module_args, "result_file": str(work / "result.json")}))
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), str(work / "play.yml"), "-e", f"@{work / 'vars.json'}"],
        env=cluster["env"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if LINE.match(line)]
    return json.loads((work / "result.json").read_text()), lines, seconds, done.stdout


def deployment(image="registry.local/web:1.0", min_ready=0):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE},
        "spec": {
            "replicas": 2,
            "minReadySeconds": min_ready,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def apply(cluster, *objects, **options):
    components = [
        {
            "name": "web",
            "namespace": NAMESPACE,
            "objects": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}, *objects],
        }
    ]
    return run(cluster, "apply", components=components, wait_sleep=1, **options)


def test_a_slow_rollout_shows_its_progress_and_completes_where_the_first_slice_left_off(cluster):
    result, lines, _seconds, output = apply(cluster, deployment(min_ready=8), progress_interval=2, wait_timeout=60)

    assert not result["failed"], output
    assert len(lines) >= 2, output
    assert "of 2 updated replicas available" in lines[0] or "replicas updated" in lines[0], lines
    # One total wait: the seconds waited grow from line to line, against the same timeout.
    waited = [int(LINE.match(line)[2]) for line in lines]
    assert waited == sorted(waited) and waited[-1] > waited[0], lines
    assert {LINE.match(line)[3] for line in lines} == {"60"}
    # The resumed runs wrote nothing again: the result is the first run's, which created both objects.
    assert [entry["action"] for entry in result["objects"]] == ["created", "created"]
    assert [rollout["replicas"]["available"] for rollout in result["rollouts"]] == [2], result["rollouts"]
    assert "pending" not in result and "resume" not in result


def test_a_rollout_done_within_the_first_slice_prints_nothing(cluster):
    converged, lines, _seconds, output = apply(cluster, deployment(min_ready=8), progress_interval=2)
    assert (converged["failed"], converged["changed"], lines) == (False, False, []), output

    changed, lines, _seconds, output = apply(cluster, deployment("registry.local/web:1.1"))
    assert (changed["failed"], changed["changed"], lines) == (False, True, []), output
    assert changed["rollouts"][0]["images"] == {"web": "registry.local/web:1.1"}


def test_a_rollout_that_never_completes_fails_at_the_same_total_timeout_and_is_rolled_back(cluster):
    good = apply(cluster, deployment("registry.local/web:1.1"))[0]
    assert not good["failed"], good
    result, lines, seconds, output = apply(
        cluster, deployment("registry.local/web:1.2-broken"), progress_interval=2, wait_timeout=9
    )

    assert result["failed"] is True, output
    assert len(lines) >= 2, output
    assert all("newest pod web-" in line and "CrashLoopBackOff" in line for line in lines), lines
    # The timeout is of the whole wait: it ends once the slices and the time between them reach 9 s.
    after = int(re.search(r"ready after (\d+)s", result["msg"])[1])
    assert 9 <= after < 15 and "rolled back from revision" in result["msg"], result["msg"]
    assert "registry.local/web:1.1" in result["msg"], result["msg"]
    # Slices do not add up to more than the timeout (and the rollback's wait, the module runs).
    assert seconds < 9 + 30, seconds


def restart(cluster, **options):
    return run(
        cluster,
        "rollout",
        kind="Deployment",
        name="web",
        namespace=NAMESPACE,
        state="restarted",
        wait=True,
        wait_timeout=60,
        wait_sleep=1,
        **options,
    )


def test_a_restart_waited_for_shows_its_progress_unless_progress_interval_is_0(cluster):
    # 6 s to become available: within the default slice of 30 s, so nothing to show.
    slow, lines, _seconds, output = apply(cluster, deployment("registry.local/web:1.1", min_ready=6))
    assert (slow["failed"], lines) == (False, []), output

    result, lines, _seconds, output = restart(cluster, progress_interval=2)
    assert not result["failed"], output
    assert lines and all(line.startswith("rollout restarted: ") for line in lines), output
    assert result["changed"] is True and result["restarted_at"], result
    assert result["rollout"]["complete"] is True and result["duration"] >= 4, result

    result, lines, _seconds, output = restart(cluster, progress_interval=0)
    assert (result["failed"], lines) == (False, []), output
    assert result["rollout"]["complete"] is True and result["duration"] >= 4, result
