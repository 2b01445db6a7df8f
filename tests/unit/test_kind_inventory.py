"""inventories/kind: its values pass the collection's validation and the platform fits one laptop node.

site.yml renders the inventory (render mode: every role's validation runs, no cluster is touched), and the
capacity is computed from the rendered objects: each workload's pods at their replicas (a pod requests the larger
of its containers' sum and its largest init container, plus the Istio sidecar where the namespace injects one), a
run of every Job and CronJob beside them, against half of a 4-CPU, 8-GiB node (the other half for the add-ons and
kube-system). The claims must be ReadWriteOnce on kind's StorageClasses; the front door's NodePorts must be those
the kind provider maps; the images the cluster cannot pull are the ones the README's `kind load` step names.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_quantity

from tools.localcluster import providers

REPO = Path(__file__).resolve().parents[2]
BUDGET = {"cpu": parse_quantity("2"), "memory": parse_quantity("4Gi")}
# Istio's default proxy requests (global.proxy.resources of the istiod chart), injected into every pod of the mesh.
SIDECAR = {"cpu": parse_quantity("100m"), "memory": parse_quantity("128Mi")}
DISK = parse_quantity("20Gi")
KIND_STORAGE_CLASSES = {"standard", "fast-ssd"}  # kind's local-path default and the class the provider adds


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, collections_path):
    work = tmp_path_factory.mktemp("kind")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith(("K8S_AUTH_", "ANSIBLE_"))}
    env.update(HOME=str(work), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false")
    out = work / "manifests"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "site.yml",
            "-i",
            "inventories/kind",
            "-e",
            f"platform_render_dir={out}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"the kind inventory fails validation:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    objects = [
        doc
        for path in sorted((out / "kind").glob("*.yaml"))
        if not path.name.startswith("helm-")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    values = {path.stem[5:]: yaml.safe_load(path.read_text()) for path in (out / "kind").glob("helm-*.yaml")}
    return objects, values


def pod_templates(objects):
    """(namespace, pod spec, count) of every pod the objects make at once."""
    for obj in objects:
        kind, spec = obj["kind"], obj.get("spec", {})
        namespace = obj["metadata"].get("namespace")
        if kind in ("Deployment", "StatefulSet"):
            yield namespace, spec["template"]["spec"], spec["replicas"]
        elif kind == "Job":
            yield namespace, spec["template"]["spec"], 1
        elif kind == "CronJob":
            yield namespace, spec["jobTemplate"]["spec"]["template"]["spec"], 1


def pods(objects):
    return [pod for _namespace, pod, _count in pod_templates(objects)]


def requests(container, resource):
    return parse_quantity(str(container.get("resources", {}).get("requests", {}).get(resource, "0")))


def pod_request(pod, resource, injected):
    sidecars = [c for c in pod.get("initContainers", []) if c.get("restartPolicy") == "Always"]
    inits = [c for c in pod.get("initContainers", []) if c.get("restartPolicy") != "Always"]
    running = sum(requests(c, resource) for c in pod["containers"] + sidecars) + (SIDECAR[resource] if injected else 0)
    return max([running, *(requests(c, resource) for c in inits)])


def injected_namespaces(objects):
    return {
        obj["metadata"]["name"]
        for obj in objects
        if obj["kind"] == "Namespace" and obj["metadata"].get("labels", {}).get("istio-injection") == "enabled"
    }


def totals(objects):
    injected = injected_namespaces(objects)
    return {
        resource: sum(
            count * pod_request(pod, resource, namespace in injected)
            for namespace, pod, count in pod_templates(objects)
        )
        for resource in ("cpu", "memory")
    }


def test_the_kind_inventory_passes_validation_and_renders_every_workload(rendered):
    objects = rendered[0]
    workloads = sorted(
        f"{o['kind']}/{o['metadata']['name']}" for o in objects if o["kind"] in ("Deployment", "StatefulSet")
    )
    assert workloads == [
        "Deployment/nextjs-ui-dashboard",
        "Deployment/python-ai-service",
        "Deployment/rust-core-engine",
        "StatefulSet/mongodb",
    ]
    assert all(o["spec"]["replicas"] == 1 for o in objects if o["kind"] in ("Deployment", "StatefulSet"))
    assert not [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]


def test_the_platform_fits_half_of_one_laptop_node(rendered):
    used = totals(rendered[0])
    assert used["cpu"] <= BUDGET["cpu"], f"{used['cpu']} CPU requested, budget {BUDGET['cpu']}"
    assert used["memory"] <= BUDGET["memory"], f"{used['memory'] / 2**30:.2f} GiB requested, budget 4 GiB"


def test_the_capacity_check_counts_what_production_asks(tmp_path):
    """The same computation refuses production's default profile: it is not a check that cannot fail."""
    production = [
        {"kind": "Namespace", "metadata": {"name": "p", "labels": {"istio-injection": "enabled"}}},
        {
            "kind": "Deployment",
            "metadata": {"name": "engine", "namespace": "p"},
            "spec": {
                "replicas": 3,
                "template": {"spec": {"containers": [{"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}},
            },
        },
    ]
    used = totals(production)
    assert used["cpu"] == parse_quantity("3.3")
    assert used["cpu"] > BUDGET["cpu"]


def test_claims_are_readwriteonce_on_kinds_storage_classes_and_fit_a_laptop_disk(rendered):
    objects = rendered[0]
    claims = [o["spec"] for o in objects if o["kind"] == "PersistentVolumeClaim"]
    claims += [
        t["spec"] for o in objects if o["kind"] == "StatefulSet" for t in o["spec"].get("volumeClaimTemplates", [])
    ]
    assert len(claims) >= 3  # the models, the backups and MongoDB's data
    assert all(c["accessModes"] == ["ReadWriteOnce"] for c in claims), claims
    assert all(c.get("storageClassName") in KIND_STORAGE_CLASSES for c in claims), claims
    size = sum(parse_quantity(c["resources"]["requests"]["storage"]) for c in claims)
    assert size <= DISK


def test_the_front_door_is_on_the_node_ports_the_provider_maps(rendered):
    service = rendered[1]["ingress-nginx"]["controller"]["service"]
    assert service["type"] == "NodePort"
    assert service["nodePorts"] == providers.KIND_NODE_PORTS


def test_the_readme_loads_every_image_the_cluster_cannot_pull(rendered):
    images = {
        c["image"]
        for pod in pods(rendered[0])
        for c in pod["containers"] + pod.get("initContainers", [])
        if c["image"].startswith("registry.local/")
    }
    assert len(images) == 3
    pull = {c.get("imagePullPolicy") for pod in pods(rendered[0]) for c in pod["containers"] if c["image"] in images}
    assert pull == {"IfNotPresent"}, "a loaded image must never be pulled"
    readme = (REPO / "README.md").read_text()
    loaded = set(re.findall(r"^kind load docker-image (registry\.local/\S+) ", readme, re.M))
    assert loaded == images
