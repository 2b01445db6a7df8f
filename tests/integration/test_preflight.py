"""The preflight through site.yml and playbooks/preflight.yml against a real local cluster of its own (own state
directory, ports shifted by 2150): first the spec's minimum topology, then the default one for the deploy identity.

- minimum: the spec's sizes are refused before any write, with the numbers; a quota and a LimitRange that cannot
  admit the pods are refused with the numbers; a CRD that neither the cluster nor an add-on of the run has is named.
- default: site.yml, run with a ServiceAccount token bound to exactly rbac/deploy-identity.yaml, converges; with one
  rule removed from it the preflight names what is missing.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import LocalCluster

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "bot-core-production"
DEFAULT_NAMESPACES = {"default", "kube-node-lease", "kube-public", "kube-system"}
# The platform alone: the add-ons need an admin (Helm), and the RBAC covers the platform's part only.
NO_ADDONS = ["-e", json.dumps({"platform_prerequisites": []})]


class Cluster(LocalCluster):
    """The shared local cluster (conftest), whose topology a test can switch (down, then up), with kubectl and
    ansible-playbook."""

    def __init__(self, state):
        super().__init__(state, 2150)
        self.topology = None

    def up(self, topology):
        if self.topology != topology:
            self.down()
            super().up("--topology", topology)
            self.topology = topology
        return self

    def down(self):
        super().down()
        self.topology = None

    def ctl(self, *args, stdin=None, check=True):
        return subprocess.run(
            [*self.kubectl, *args],
            input=stdin,
            check=check,
            capture_output=True,
            text=True,
        )

    def playbook(self, playbook, *args, kubeconfig=None):
        env = dict(self.env, KUBECONFIG=kubeconfig or self.kubeconfig, ANSIBLE_FORCE_COLOR="false", NO_COLOR="1")
        return subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), playbook, "-i", "inventories/local", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )

    def namespaces(self):
        return set(self.ctl("get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}").stdout.split())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("cluster") / "state")
    try:
        yield cluster
    finally:
        cluster.down()


def refusal(run):
    """The preflight's failure message from an ansible-playbook run that must have failed in the preflight."""
    assert run.returncode != 0, run.stdout[-3000:]
    lines = [line for line in run.stdout.splitlines() if "preflight refused the run" in line]
    assert lines, run.stdout[-3000:]
    return lines[0]


# --- the spec's minimum cluster ---


def test_the_spec_sizes_are_refused_on_the_minimum_topology_before_any_write(cluster):
    cluster.up("minimum")
    # site.yml with every add-on: their APIs are pending, so the nodes are the one blocking finding.
    run = cluster.playbook("site.yml")
    message = refusal(run)
    assert "(1 blocking)" in message
    assert (
        "the cluster cannot hold the platform at minimum replicas: 12 pods request 13.5 CPU and 18.75Gi memory on 2 "
        "schedulable node(s) worker-1, worker-2 with 8 CPU / 32Gi free; not used: master (taint "
        "node-role.kubernetes.io/control-plane:NoSchedule not tolerated); 7 pod(s) fit nowhere:"
    ) in message
    assert "3 x Deployment rust-core-engine (1 CPU, 1Gi each; core_engine_hpa)" in message
    # Nothing was written: no namespace, no Helm release (whose Secrets live in the add-ons' namespaces).
    assert cluster.namespaces() == DEFAULT_NAMESPACES
    assert "nodes    fail    minimum: 12 pods, 13.5 CPU" in run.stdout


@pytest.fixture(scope="module")
def small_namespace(cluster):
    """preflight.yml without add-ons on the minimum topology, with a quota too small."""
    cluster.up("minimum")
    settings = {"namespace_quota": {"requests.cpu": "10", "limits.cpu": "80", "requests.memory": "80Gi"}}
    return cluster.playbook("playbooks/preflight.yml", *NO_ADDONS, "-e", json.dumps(settings))


def test_a_quota_that_cannot_hold_the_pods_is_refused_with_the_numbers(small_namespace):
    message = refusal(small_namespace)
    assert (
        f"ResourceQuota bot-core-quota (namespace_quota) in {NAMESPACE} allows requests.cpu 10, but the platform "
        "needs 13.5 at minimum replicas (3 x 2 StatefulSet mongodb (mongodb_replicas), "
    ) in message


def test_a_limit_range_that_cannot_admit_a_container_is_refused_with_the_numbers(cluster):
    # The namespace's own LimitRange against the containers is a validation rule now: refused before the preflight.
    cluster.up("minimum")
    settings = {
        "namespace_limits": {
            "max": {"cpu": "1500m", "memory": "16Gi"},
            "min": {"cpu": "100m", "memory": "128Mi"},
            "default": {"cpu": "1", "memory": "1Gi"},
            "default_request": {"cpu": "500m", "memory": "512Mi"},
        },
    }
    run = cluster.playbook("playbooks/preflight.yml", *NO_ADDONS, "-e", json.dumps(settings))
    assert run.returncode != 0, run.stdout[-3000:]
    assert "namespace_limits.max.cpu: 1500m is below mongodb_resources.limits.cpu (4)" in run.stdout
    assert cluster.namespaces() == DEFAULT_NAMESPACES


def test_a_missing_crd_is_refused_by_name(small_namespace):
    message = refusal(small_namespace)
    for crd in (
        "virtualservices.networking.istio.io",
        "servicemonitors.monitoring.coreos.com",
        "gateways.gateway.networking.k8s.io",
    ):
        assert f"CRD {crd} is not installed" in message


def test_the_preflight_writes_nothing(cluster, small_namespace):
    refusal(small_namespace)
    assert cluster.namespaces() == DEFAULT_NAMESPACES


# --- the deploy identity ---

RBAC = REPO / "rbac" / "deploy-identity.yaml"


def token_kubeconfig(cluster, path):
    """A kubeconfig of the cluster's API server with the deploy identity's ServiceAccount token."""
    token = cluster.ctl("create", "token", "botcore-platform-deploy", "-n", "default", "--duration=2h").stdout
    config = yaml.safe_load(Path(cluster.kubeconfig).read_text())
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    context["context"]["user"] = "botcore-platform-deploy"
    config["contexts"] = [context]
    config["users"] = [{"name": "botcore-platform-deploy", "user": {"token": token.strip()}}]
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture(scope="module")
def deploy_identity(cluster, tmp_path_factory):
    """The default topology with the upstream CRDs (as an admin installs the add-ons) and the shipped RBAC."""
    cluster.up("default")
    cluster.install_crds()
    cluster.ctl("apply", "--server-side", "--field-manager=botcore-tests", "-f", str(RBAC))
    return token_kubeconfig(cluster, tmp_path_factory.mktemp("identity") / "kubeconfig")


def test_site_converges_with_exactly_the_shipped_rbac(cluster, deploy_identity):
    assert (
        cluster.ctl(
            "auth", "can-i", "create", "clusterroles", f"--kubeconfig={deploy_identity}", check=False
        ).stdout.strip()
        == "no"
    )
    run = cluster.playbook("site.yml", *NO_ADDONS, kubeconfig=deploy_identity)
    assert run.returncode == 0, run.stdout[-5000:]
    assert "access   ok" in run.stdout
    # The HPAs raise a new Deployment (created without spec.replicas) to min_replicas after the run's wait may end.
    for _attempt in range(60):
        ready = cluster.ctl("get", "deployments", "-n", NAMESPACE, "-o", "jsonpath={.items[*].status.readyReplicas}")
        if ready.stdout.split() == ["3", "3", "3"]:
            break
        time.sleep(2)
    assert ready.stdout.split() == ["3", "3", "3"]


def resource_versions(cluster):
    kinds = "deployments,statefulsets,services,configmaps,secrets,networkpolicies"
    listed = cluster.ctl("get", kinds, "-n", NAMESPACE, "-o", "json")
    return {
        (item["kind"], item["metadata"]["name"]): item["metadata"]["resourceVersion"]
        for item in json.loads(listed.stdout)["items"]
    }


def test_a_change_the_api_server_refuses_is_refused_by_its_dry_run_before_any_write(cluster, deploy_identity):
    # A StatefulSet's volumeClaimTemplates are immutable: only the API server knows, and its dry run says so.
    before = resource_versions(cluster)
    settings = {"mongodb_storage_size": "200Gi"}
    message = refusal(cluster.playbook("site.yml", *NO_ADDONS, "-e", json.dumps(settings), kubeconfig=deploy_identity))
    assert "(1 blocking)" in message
    assert f"mongodb: the API server refuses StatefulSet mongodb in namespace {NAMESPACE}: " in message
    assert "spec.volumeClaimTemplates: field is immutable" in message
    assert "(set by the mongodb role's mongodb_* variables)" in message
    assert resource_versions(cluster) == before


def test_one_rule_removed_is_named_by_the_preflight(cluster, deploy_identity):
    documents = yaml.safe_load(RBAC.read_text())["items"]
    role = next(d for d in documents if d["kind"] == "Role" and d["metadata"]["namespace"] == NAMESPACE)
    for rule in role["rules"]:
        rule["resources"] = [name for name in rule["resources"] if name != "networkpolicies"]
    role["rules"] = [r for r in role["rules"] if r["resources"]]
    assert all("networkpolicies" not in r["resources"] for r in role["rules"])
    cluster.ctl("apply", "--server-side", "--field-manager=botcore-tests", "-f", "-", stdin=yaml.safe_dump(role))
    try:
        message = refusal(cluster.playbook("playbooks/preflight.yml", *NO_ADDONS, kubeconfig=deploy_identity))
        assert "(1 blocking)" in message
        assert (
            f"the deploy identity may not get, create, patch networkpolicies.networking.k8s.io in namespace {NAMESPACE}"
        ) in message
    finally:
        cluster.ctl("apply", "--server-side", "--field-manager=botcore-tests", "-f", str(RBAC))
