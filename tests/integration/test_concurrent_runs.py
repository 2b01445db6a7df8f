"""Runs that overlap (issue 14): two site.yml runs started together, a second writer during a run, a killed run.

Runs a cluster of its own (own state directory, ports shifted by 2350) with the upstream CRDs, and site.yml with
inventories/local's settings and the platform only (no add-ons, the nginx front door), as the platform scenario does.
Every version of every Secret is watched while the two runs race.
"""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NAMESPACE = "race"
LEASE = f"botcore-platform-deploy-{NAMESPACE}"
SETTINGS = {"platform_prerequisites": [], "platform_ingress_provider": "nginx", "platform_namespace": NAMESPACE}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, local_cluster, checkout_collections):
    work = tmp_path_factory.mktemp("concurrent")
    settings = work / "settings.json"
    settings.write_text(json.dumps(SETTINGS))
    cluster = local_cluster(2350).up()
    cluster.install_crds()
    return {
        "kubectl": cluster.kubectl,
        "settings": settings,
        "env": cluster.playbook_env(checkout_collections, work),
    }


def start(cluster, playbook, *extra):
    """Start a playbook against inventories/local with the test's settings; its own process group, for a SIGKILL."""
    return subprocess.Popen(
        [str(BIN / "ansible-playbook"), playbook, "-i", "inventories/local", "-e", f"@{cluster['settings']}", *extra],
        cwd=REPO,
        env=cluster["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish(process, timeout=900):
    output = process.communicate(timeout=timeout)[0]
    recap = re.search(r"changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", output)
    return process.returncode, output, (int(recap[1]), int(recap[2])) if recap else None


def lease(cluster):
    shown = subprocess.run(
        [*cluster["kubectl"], "get", "lease", "-n", "default", LEASE, "-o", "json", "--ignore-not-found"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(shown) if shown.strip() else None


def wait_for_lease(cluster, process, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = lease(cluster)
        if held:
            return held
        assert process.poll() is None, "the run ended before it took the lock"
        time.sleep(0.5)
    raise AssertionError(f"no lock within {timeout}s")


def test_two_runs_started_together_write_one_value_per_key_and_a_third_changes_nothing(cluster):
    # Every version of every Secret of the namespace, from its creation on, into a file (a pipe would fill up).
    events = Path(cluster["env"]["TMPDIR"]) / "secret-events.json"
    with events.open("w") as sink:
        watch = subprocess.Popen(
            [*cluster["kubectl"], "get", "secrets", "-n", NAMESPACE, "--watch", "--output-watch-events", "-o", "json"],
            stdout=sink,
        )
        try:
            runs = [start(cluster, "site.yml"), start(cluster, "site.yml")]
            results = [finish(run) for run in runs]
        finally:
            watch.terminate()
            watch.wait()
    for code, output, recap in results:
        assert code == 0 and recap[1] == 0, output[-3000:]
    # One run deployed; the other waited for its lock, then found everything in place and changed nothing.
    assert sorted(recap[0] for _code, _output, recap in results)[0] == 0, [recap for _c, _o, recap in results]
    assert lease(cluster) is None, "the lock is released at the end of each run"

    seen = {}
    decoder, text, index = json.JSONDecoder(), events.read_text(), 0
    while index < len(text):
        event, index = decoder.raw_decode(text, index)
        index = len(text) - len(text[index:].lstrip())
        secret = event["object"]
        for key, value in (secret.get("data") or {}).items():
            seen.setdefault(f"{secret['metadata']['name']}/{key}", set()).add(base64.b64decode(value))
    assert len(seen) >= 12, f"too few keys seen: {sorted(seen)}"
    assert {key: len(values) for key, values in seen.items() if len(values) != 1} == {}

    code, output, recap = finish(start(cluster, "site.yml"))
    assert code == 0 and recap == (0, 0), output[-3000:]
    # A run that wrote no Secret renders no workload a second time.
    again = re.search(r"TASK \[Render again [^\n]*\n(.*?)\n\n", output, re.S)
    assert again and "included:" not in again[1], again[1] if again else output[-3000:]


def test_a_second_writer_waits_and_fails_naming_the_holder_and_a_killed_runs_lock_expires(cluster):
    # A converged namespace (the test above): this run changes nothing, but holds the lock while it runs.
    holder_run = start(cluster, "site.yml", "-e", "lock_lease_duration=60")
    try:
        held = wait_for_lease(cluster, holder_run)
        # Frozen with the lock, as a hung run: a no-op's deploy play is over before another run has even started.
        os.killpg(holder_run.pid, signal.SIGSTOP)
        holder = held["spec"]["holderIdentity"]
        scale = ["-e", "operations_component=core_engine", "-e", "operations_replicas=3"]
        started = time.monotonic()
        code, output, _recap = finish(start(cluster, "playbooks/scale.yml", *scale, "-e", "lock_wait_timeout=5"))
        assert code != 0
        assert f"is held by {holder} (job Deploy in order" in output and "waited 5s" in output, output[-3000:]
        assert time.monotonic() - started >= 5
        assert holder_run.poll() is None, "the holder's run still runs, so the writer failed on its lock"

        # SIGKILL: nothing releases the lock; it expires 60 s after the run took it.
        os.killpg(holder_run.pid, signal.SIGKILL)
        holder_run.wait()
        assert lease(cluster)["spec"]["holderIdentity"] == holder
    finally:
        if holder_run.poll() is None:
            os.killpg(holder_run.pid, signal.SIGKILL)
    started = time.monotonic()
    code, output, recap = finish(start(cluster, "playbooks/scale.yml", *scale, "-e", "lock_wait_timeout=120"))
    assert code == 0 and recap[1] == 0, output[-3000:]
    assert lease(cluster) is None
