"""botcore.platform.helm_release_diff against real releases of the upstream charts on a local cluster.

Runs a cluster of its own (own state directory, ports shifted by 300) and drives the module through ansible-playbook
(helm_release_diff.yml beside this file), next to kubernetes.core.helm installing the same charts with the same
options, so that "no change" means the module renders exactly what kubernetes.core.helm installed.
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHARTS = REPO.parent / "shared" / "charts"
POST_RENDERER = REPO / "roles" / "helm_release" / "files" / "strip-webhooks"
BIN = Path(sys.executable).parent
INGRESS_DEPLOYMENT = "Deployment.apps ingress-nginx/ingress-nginx-controller"


@pytest.fixture(scope="module")
def cluster(local_cluster):
    cluster = local_cluster(300).up()
    return {
        "env": cluster.env,
        "kubeconfig": cluster.kubeconfig,
        "helm": cluster.run("bin", "helm"),
        "kubectl": cluster.kubectl[0],
    }


@pytest.fixture(scope="module")
def run(cluster, tmp_path_factory, checkout_collections):
    """Run the playbook once with --diff; return (results by task, the diff printed for each task, seconds)."""
    work = tmp_path_factory.mktemp("helm-release-diff")
    results = work / "results.json"
    extra_vars = {
        "charts": str(CHARTS),
        "post_renderer": str(POST_RENDERER),
        "helm_binary": cluster["helm"],
        "kubeconfig": cluster["kubeconfig"],
        "results_file": str(results),
    }
    env = dict(
        cluster["env"],
        ANSIBLE_COLLECTIONS_PATH=checkout_collections,
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_NOCOLOR="1",
        # The helm modules' temporary kubeconfig copies and values files go here, not into a shared /tmp.
        TMPDIR=str(work),
    )
    started = time.monotonic()
    playbook = Path(__file__).with_name("helm_release_diff.yml")
    played = subprocess.run(
        [str(BIN / "ansible-playbook"), str(playbook), "--diff", "-e", json.dumps(extra_vars)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    assert played.returncode == 0, played.stdout[-6000:] + played.stderr[-3000:]
    return json.loads(results.read_text()), printed_diffs(played.stdout), seconds


def printed_diffs(stdout):
    """What ansible-playbook printed under each task, by the task's name (after "Helm release diff | ")."""
    sections = re.split(r"^TASK \[Helm release diff \| (.*?)\] \**$", stdout, flags=re.MULTILINE)
    return dict(zip(sections[1::2], sections[2::2], strict=True))


def kubectl(cluster, *args):
    return subprocess.run(
        [cluster["kubectl"], "--kubeconfig", cluster["kubeconfig"], *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_the_post_renderer_kept_the_webhook_configurations_off_the_cluster(run, cluster):
    assert kubectl(cluster, "get", "validatingwebhookconfigurations,mutatingwebhookconfigurations", "-o", "name") == ""
    assert kubectl(cluster, "get", "deployment", "-n", "ingress-nginx", "ingress-nginx-controller", "-o", "name")


def test_the_same_chart_and_values_are_no_change(run):
    results, printed, _seconds = run
    same = results["same"]
    assert same["changed"] is False, same["summary"]
    assert same["diff"] == []
    assert same["summary"]["unchanged"] > 10
    assert same["current"]["chart_version"] == same["desired"]["chart_version"] == "4.14.3"
    assert "---" not in printed["Compare ingress-nginx with the same chart and values"]


def test_check_mode_reports_the_same(run):
    results, _printed, _seconds = run
    for field in ("changed", "summary", "current", "desired", "diff"):
        assert results["same_check"][field] == results["same"][field], field


def test_a_new_chart_version_shows_image_tags_and_chart_labels(run):
    results, printed, _seconds = run
    upgrade = results["upgrade"]
    assert upgrade["changed"] is True
    assert INGRESS_DEPLOYMENT in upgrade["summary"]["changed"]
    assert upgrade["desired"]["chart_version"] == "4.15.1"
    diff = printed["Compare ingress-nginx with chart 4.15.1"]
    assert f"--- before: {INGRESS_DEPLOYMENT} [revision 1, ingress-nginx-4.14.3]" in diff
    assert f"+++ after: {INGRESS_DEPLOYMENT} [ingress-nginx-4.15.1]" in diff
    assert re.search(r"^-        image: registry\.k8s\.io/ingress-nginx/controller:v1\.14\.3@sha256:", diff, re.M)
    assert re.search(r"^\+        image: registry\.k8s\.io/ingress-nginx/controller:v1\.15\.1@sha256:", diff, re.M)
    assert re.search(r"^-    helm\.sh/chart: ingress-nginx-4\.14\.3$", diff, re.M)
    assert re.search(r"^\+    helm\.sh/chart: ingress-nginx-4\.15\.1$", diff, re.M)


def test_a_changed_value_shows_in_the_objects_it_renders(run):
    results, printed, _seconds = run
    replicas = results["replicas"]
    assert replicas["changed"] is True
    assert replicas["summary"]["changed"] == [INGRESS_DEPLOYMENT]
    # The chart adds a PodDisruptionBudget once there is more than one replica.
    assert replicas["summary"]["created"] == ["PodDisruptionBudget.policy ingress-nginx/ingress-nginx-controller"]
    diff = printed["Compare ingress-nginx with two replicas"]
    assert "+ created: PodDisruptionBudget.policy ingress-nginx/ingress-nginx-controller" in diff
    assert re.search(r"^-  replicas: 1\n\+  replicas: 2$", diff, re.M)


def test_uninstalling_deletes_the_manifests_objects(run):
    results, printed, _seconds = run
    uninstall = results["uninstall"]
    assert uninstall["changed"] is True
    assert uninstall["desired"] is None
    assert INGRESS_DEPLOYMENT in uninstall["summary"]["deleted"]
    assert uninstall["summary"]["created"] == uninstall["summary"]["changed"] == []
    assert not [name for name in uninstall["summary"]["deleted"] if name.endswith("(hook)")]
    assert f"- deleted: {INGRESS_DEPLOYMENT}" in printed["Compare uninstalling ingress-nginx"]


def test_a_new_release_creates_everything(run):
    results, printed, _seconds = run
    new = results["new_release"]
    assert new["changed"] is True
    assert new["current"] is None
    assert new["summary"]["changed"] == new["summary"]["deleted"] == []
    assert new["summary"]["unchanged"] == 0
    assert "Deployment.apps cert-manager/cert-manager-webhook" in new["summary"]["created"]
    assert "CustomResourceDefinition.apiextensions.k8s.io certificates.cert-manager.io" in new["summary"]["created"]
    assert "Job.batch cert-manager/cert-manager-startupapicheck (hook)" in new["summary"]["created"]
    assert (
        "+ created: Deployment.apps cert-manager/cert-manager" in printed["Compare cert-manager before it is installed"]
    )


@pytest.mark.parametrize("release", ["cert_manager_same", "kube_prometheus_stack_same"])
def test_a_converged_release_is_no_change(run, release):
    # Neither chart renders anything random, timed or looked up differently on a rerun with these values.
    result = run[0][release]
    assert result["changed"] is False, result["summary"]
    assert result["diff"] == []


def test_comparing_wrote_nothing(run, cluster):
    env = dict(cluster["env"], KUBECONFIG=cluster["kubeconfig"])
    history = subprocess.run(
        [cluster["helm"], "history", "ingress-nginx", "-n", "ingress-nginx", "-o", "json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert [revision["revision"] for revision in json.loads(history)] == [1]
    deployment = json.loads(
        kubectl(cluster, "get", "deployment", "-n", "ingress-nginx", "ingress-nginx-controller", "-o", "json")
    )
    assert deployment["spec"]["replicas"] == 1
    assert ":v1.14.3@" in deployment["spec"]["template"]["spec"]["containers"][0]["image"]
