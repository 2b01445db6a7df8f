"""The deployed platform is healthy and hardened, read back from the live namespace.

Rollouts, claims and pods; Pod Security `restricted` and the pods' compliance with it; a ServiceAccount and a
PodDisruptionBudget per workload; default-deny networking; the checksum annotations the roles compute; MongoDB's
headless Service and replica-set connection string. Secret values are decoded only into digests and booleans, so
no failure message can show one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from kubernetes import config, dynamic

NAMESPACE = os.environ.get("BOTCORE_NAMESPACE", "bot-core-production")
DEPLOYMENTS = {"nextjs-ui-dashboard", "rust-core-engine", "python-ai-service"}
STATEFULSET = "mongodb"
KINDS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "Pod": "v1",
    "PersistentVolumeClaim": "v1",
    "ServiceAccount": "v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "PodDisruptionBudget": "policy/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
}


@pytest.fixture(scope="module")
def cluster():
    return dynamic.DynamicClient(config.new_client_from_config())


@pytest.fixture(scope="module")
def live(cluster):
    """Kind -> name -> object, for every kind the tests read in the platform namespace."""
    return {
        kind: {
            item["metadata"]["name"]: item
            for item in cluster.resources.get(api_version=api_version, kind=kind)
            .get(namespace=NAMESPACE)
            .to_dict()["items"]
        }
        for kind, api_version in KINDS.items()
    }


@pytest.fixture(scope="module")
def workloads(live):
    """The Deployments and StatefulSets, by "Kind/name"; the platform's must all be there."""
    found = {f"{kind}/{name}": obj for kind in ("Deployment", "StatefulSet") for name, obj in live[kind].items()}
    expected = {f"Deployment/{name}" for name in DEPLOYMENTS} | {f"StatefulSet/{STATEFULSET}"}
    assert expected <= found.keys(), f"workloads missing: {sorted(expected - found.keys())}"
    return found


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def ansible_json(value):
    """What `to_json(sort_keys=true)` renders, which the roles hash."""
    return json.dumps(value, sort_keys=True)


def secret_checksum(secret):
    """The secrets role's checksum of one Secret: over its decoded values."""
    values = {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
    return sha256(ansible_json(values))


def containers(pod_spec):
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def test_workloads_rolled_out(workloads):
    problems = []
    for name, obj in workloads.items():
        status, desired = obj["status"], obj["spec"]["replicas"]
        counts = {
            key: status.get(key, 0) for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
        }
        if set(counts.values()) != {desired} or status.get("observedGeneration") != obj["metadata"]["generation"]:
            problems.append(
                f"{name}: {desired} desired, status {counts}, generation {status.get('observedGeneration')}"
            )
        if obj["kind"] == "StatefulSet" and status.get("currentRevision") != status.get("updateRevision"):
            problems.append(f"{name}: revision {status.get('currentRevision')}, update {status.get('updateRevision')}")
    assert not problems, "\n".join(problems)


def test_claims_bound(live):
    claims = live["PersistentVolumeClaim"]
    expected = {"ai-models-pvc"} | {
        f"data-{STATEFULSET}-{i}" for i in range(live["StatefulSet"][STATEFULSET]["spec"]["replicas"])
    }
    assert expected <= claims.keys(), f"claims missing: {sorted(expected - claims.keys())}"
    unbound = {
        name: claim["status"].get("phase") for name, claim in claims.items() if claim["status"].get("phase") != "Bound"
    }
    assert not unbound, f"claims not Bound: {unbound}"


def test_pods_running_and_ready(live):
    assert live["Pod"], f"no pods in {NAMESPACE}"
    problems = []
    for name, pod in live["Pod"].items():
        phase = pod["status"].get("phase")
        # A pod of a replaced ReplicaSet may still be shutting down after its rollout completed.
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if any(owner["kind"] == "Job" for owner in pod["metadata"].get("ownerReferences", [])):
            if phase != "Succeeded":
                problems.append(f"{name}: Job pod {phase}")
            continue
        ready = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}.get("Ready")
        if phase != "Running" or ready != "True":
            problems.append(f"{name}: {phase}, Ready {ready}")
    assert not problems, "\n".join(problems)


def test_namespace_enforces_restricted(cluster):
    labels = (
        cluster.resources.get(api_version="v1", kind="Namespace").get(name=NAMESPACE).to_dict()["metadata"]["labels"]
    )
    assert labels.get("pod-security.kubernetes.io/enforce") == "restricted", f"namespace labels: {labels}"


def test_pods_comply_with_restricted(live):
    assert live["Pod"], f"no pods in {NAMESPACE}"
    problems = []
    for pod_name, pod in live["Pod"].items():
        pod_context = pod["spec"].get("securityContext") or {}
        for container in containers(pod["spec"]):
            context = container.get("securityContext") or {}
            # A container's setting overrides the pod's.
            effective = {key: context.get(key, pod_context.get(key)) for key in ("runAsNonRoot", "seccompProfile")}
            resources = container.get("resources") or {}
            checks = {
                "runAsNonRoot": effective["runAsNonRoot"] is True,
                "seccomp RuntimeDefault": (effective["seccompProfile"] or {}).get("type") == "RuntimeDefault",
                "allowPrivilegeEscalation false": context.get("allowPrivilegeEscalation") is False,
                "capabilities drop ALL": "ALL" in (context.get("capabilities") or {}).get("drop", []),
                "readOnlyRootFilesystem": context.get("readOnlyRootFilesystem") is True,
                "requests and limits": all(
                    {"cpu", "memory"} <= (resources.get(kind) or {}).keys() for kind in ("requests", "limits")
                ),
            }
            failed = [check for check, passed in checks.items() if not passed]
            if failed:
                problems.append(f"{pod_name}/{container['name']}: {', '.join(failed)}")
    assert not problems, "\n".join(problems)


def test_images_pinned(live):
    # A tag other than `latest`, or a digest: a rollout or rollback always gets the same image.
    unpinned = {
        f"{pod_name}/{container['name']}": container["image"]
        for pod_name, pod in live["Pod"].items()
        for container in containers(pod["spec"])
        if not re.search(r"(@sha256:[0-9a-f]{64}|:(?!latest$)[\w][\w.-]*)$", container["image"])
    }
    assert not unpinned, f"images not pinned: {unpinned}"


def test_service_account_per_workload(live, workloads):
    jobs = {f"Job/{name}": obj for name, obj in live["Job"].items()}
    problems = []
    accounts = {}
    for name, obj in {**workloads, **jobs}.items():
        pod_spec = obj["spec"]["template"]["spec"]
        account = pod_spec.get("serviceAccountName", "default")
        accounts.setdefault(account, []).append(name)
        if account == "default" or account not in live["ServiceAccount"]:
            problems.append(f"{name}: ServiceAccount {account} is the default or missing")
        elif live["ServiceAccount"][account].get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: ServiceAccount {account} mounts its token")
        if pod_spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: the pod template mounts the token")
    # Jobs of one purpose (successive rs-init runs) share theirs; the long-running workloads have one each.
    shared = {account: names for account, names in accounts.items() if len([n for n in names if n not in jobs]) > 1}
    assert not problems and not shared, "\n".join(problems) + f"\nshared ServiceAccounts: {shared}"


def test_disruption_budget_per_workload(live, workloads):
    selectors = [pdb["spec"]["selector"].get("matchLabels", {}) for pdb in live["PodDisruptionBudget"].values()]
    uncovered = [
        name
        for name, obj in workloads.items()
        if not any(
            selector and selector.items() <= obj["spec"]["template"]["metadata"]["labels"].items()
            for selector in selectors
        )
    ]
    assert not uncovered, f"workloads without a PodDisruptionBudget: {uncovered}"


def test_default_deny_network_policy(live):
    deny_all = [
        name
        for name, policy in live["NetworkPolicy"].items()
        if not policy["spec"]["podSelector"]
        and {"Ingress", "Egress"} <= set(policy["spec"].get("policyTypes", []))
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
    ]
    assert deny_all, f"no default-deny NetworkPolicy among {sorted(live['NetworkPolicy'])}"


def test_checksum_annotations(live, workloads):
    """The roles hash to_json(sort_keys=true): a ConfigMap's data, a Secret's decoded values, and a pod's Secrets."""
    problems = []
    for name, obj in workloads.items():
        template = obj["spec"]["template"]
        annotations = template["metadata"].get("annotations", {})
        volumes = template["spec"].get("volumes", [])
        config_maps = [volume["configMap"]["name"] for volume in volumes if "configMap" in volume]
        mounted = [volume["secret"]["secretName"] for volume in volumes if "secret" in volume]
        referenced = sorted(
            {
                env["valueFrom"]["secretKeyRef"]["name"]
                for container in containers(template["spec"])
                for env in container.get("env", [])
                if "secretKeyRef" in env.get("valueFrom", {})
            }
        )
        expected = {}
        if config_maps:
            expected["checksum/config"] = sha256(ansible_json(live["ConfigMap"][config_maps[0]]["data"]))
        # MongoDB rolls on its mounted key file only (its credentials apply at first start); the applications roll on
        # every Secret their environment reads, through one checksum over the per-Secret checksums.
        if mounted:
            expected["checksum/secrets"] = secret_checksum(live["Secret"][mounted[0]])
        elif referenced:
            digests = {secret: secret_checksum(live["Secret"][secret]) for secret in referenced}
            expected["checksum/secrets"] = sha256(ansible_json(digests))
        for key, digest in expected.items():
            found = annotations.get(key)
            if found != digest:
                problems.append(f"{name}: {key} is {found}, the roles compute {digest}")
    assert not problems, "\n".join(problems)


def test_mongodb_headless_service(live):
    statefulset = live["StatefulSet"][STATEFULSET]
    service = live["Service"].get(statefulset["spec"]["serviceName"])
    assert service is not None, f"no Service {statefulset['spec']['serviceName']} governs the StatefulSet"
    assert service["spec"].get("clusterIP") == "None", f"Service {service['metadata']['name']} is not headless"


def test_database_url_lists_every_member(live):
    statefulset = live["StatefulSet"][STATEFULSET]
    service = statefulset["spec"]["serviceName"]
    port = live["Service"][service]["spec"]["ports"][0]["port"]
    url = urlsplit(base64.b64decode(live["Secret"]["bot-core-secrets"]["data"]["database-url"]).decode())
    hosts = url.netloc.rpartition("@")[2].split(",")
    replicas = statefulset["spec"]["replicas"]
    # Only booleans reach the assertions: the URL holds the application user's password.
    replica_set_uri = url.scheme == "mongodb" and bool(parse_qs(url.query).get("replicaSet"))
    member_hosts = [
        bool(re.fullmatch(rf"{STATEFULSET}-{i}\.{service}\.{NAMESPACE}\.svc(\.[\w.-]+)?:{port}", host))
        for i, host in enumerate(hosts)
    ]
    assert replica_set_uri, "database-url is no mongodb:// URI with a replicaSet option"
    assert len(hosts) == replicas and all(member_hosts), (
        f"database-url lists {len(hosts)} hosts (members matching: {member_hosts}); expected the {replicas} members "
        f"{STATEFULSET}-<i>.{service}.{NAMESPACE}.svc:{port}"
    )
