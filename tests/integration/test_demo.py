"""`make demo` as a new user runs it, on a cluster of its own (own state directory, ports shifted by 400).

Without an offline mirror and without internet it must stop before it starts anything, naming the setting; with the
mirror (../shared, as `make` finds it) it deploys the add-ons from their real charts and the platform, then prints
the status with every workload at its desired replicas.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# READY column of `kubectl get deployments,statefulsets`: ready/desired.
CALLOUTS = ("mutatingwebhookconfigurations,validatingwebhookconfigurations,apiservices",)
WORKLOAD = re.compile(r"^(?P<name>(deployment\.apps|statefulset\.apps)/\S+)\s+(?P<ready>\d+)/(?P<desired>\d+)\s", re.M)


@pytest.fixture
def demo_env(tmp_path):
    state = tmp_path / "cluster"
    environ = dict(
        os.environ,
        BOTCORE_CLUSTER_STATE=str(state),
        BOTCORE_CLUSTER_PORT_OFFSET="400",
        BOTCORE_CLUSTER_PROVIDER="local",
    )
    yield environ, state
    subprocess.run([sys.executable, "-m", "tools.localcluster", "down"], cwd=REPO, env=environ, check=False)


def cli(environ, *args):
    done = subprocess.run(
        [sys.executable, "-m", "tools.localcluster", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_demo_without_a_mirror_or_internet_stops_before_it_starts_anything(demo_env):
    environ, state = demo_env
    # No mirror (as in a fresh clone without ../shared), and a proxy on a closed local port: no internet, and no
    # packet leaves the machine.
    offline = dict(environ, BOTCORE_ADDON_MIRROR="", https_proxy="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    started = time.monotonic()
    done = subprocess.run(
        ["make", "demo"], cwd=REPO, env=offline, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode != 0, done.stdout
    assert "BOTCORE_ADDON_MIRROR" in done.stderr
    assert "cannot be reached" in done.stderr
    assert time.monotonic() - started < 120
    assert not state.exists(), "make demo started a cluster"


def test_demo_deploys_the_add_ons_and_the_platform_from_the_mirror(demo_env):
    environ = demo_env[0]
    if not (REPO.parent / "shared" / "charts").is_dir() and not environ.get("BOTCORE_ADDON_MIRROR"):
        pytest.fail(
            "no offline mirror: set BOTCORE_ADDON_MIRROR to one (charts/, gateway-api/), or run beside ../shared"
        )
    done = subprocess.run(
        ["make", "demo"], cwd=REPO, env=environ, capture_output=True, text=True, timeout=1800, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    assert re.search(r"^local\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", out, re.M)
    # The add-ons of production's gateway front door, from the charts of the mirror.
    for release, chart in (
        ("istio-base", "base-1.30.3"),
        ("istio-cni", "cni-1.30.3"),
        ("istiod", "istiod-1.30.3"),
        ("cert-manager", "cert-manager-v1.21.1"),
        ("kube-prometheus-stack", "kube-prometheus-stack-88.2.0"),
    ):
        assert re.search(rf"^{release}\s.*\sdeployed\s+{chart}\s", out, re.M), f"{release} ({chart}) not deployed"
    workloads = {m["name"]: (int(m["ready"]), int(m["desired"])) for m in WORKLOAD.finditer(out)}
    assert set(workloads) >= {
        "deployment.apps/rust-core-engine",
        "deployment.apps/python-ai-service",
        "deployment.apps/nextjs-ui-dashboard",
        "statefulset.apps/mongodb",
    }, out
    assert all(ready == desired > 0 for ready, desired in workloads.values()), workloads
    assert "gateway.gateway.networking.k8s.io/bot-core-gateway" in out
    assert "every workload at its desired replicas" in out
    # The local inventory's post-renderer kept every chart's webhooks off this cluster.
    kubeconfig = cli(environ, "kubeconfig")
    callouts = subprocess.run(
        [cli(environ, "bin", "kubectl"), f"--kubeconfig={kubeconfig}", "get", *CALLOUTS, "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    items = json.loads(callouts.stdout)["items"]
    assert [i["metadata"]["name"] for i in items if i["kind"] != "APIService" or i["spec"].get("service")] == []
