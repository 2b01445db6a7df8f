# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload building block instantiated for a fourth, made-up service, from test data only.

This is what a new service role holds: its workload options (as its defaults/main.yml would hold them), its own data
(as its vars/main.yml would) and its registry entry; the option spec, templates, labels, checksums, security
contexts, probes and scheduling are the block's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REGISTRY = yaml.safe_load((REPO / "roles/platform/defaults/main.yml").read_text())["platform_services"]
# The made-up service: a risk checker the engine calls, with a config file and one Secret.
SERVICE = {"name": "risk-checker", "kind": "Deployment", "port": 9100, "tier": "backend"}
# What its defaults/main.yml would hold: the options of the platform role's `workload` entry point, unprefixed here.
OPTIONS = {
    "namespace": "bot-core-test",
    "image": {"registry": "registry.example", "repository": "risk-checker", "tag": "0.3.1", "digest": ""},
    "replicas": 2,
    "replicas_managed_by_hpa": True,
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
    "progress_deadline_seconds": 300,
    "env": {"RISK_LIMIT": "0.02"},
    "secret_env": [{"name": "TOKEN", "secret": "bot-core-secrets", "key": "inter-service-token"}],
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
    "startup_probe": {},
    "liveness_probe": {"httpGet": {"path": "/health", "port": 9100}, "periodSeconds": 10},
    "readiness_probe": {"httpGet": {"path": "/ready", "port": 9100}, "periodSeconds": 5},
    "pre_stop_sleep_seconds": 5,
    "termination_grace_period_seconds": 20,
    "session_affinity": "None",
    "hpa": {"enabled": True, "min_replicas": 2, "max_replicas": 6, "cpu_utilization": 70, "memory_utilization": 80},
    "pdb_max_unavailable": 1,
    "network_policy_enabled": True,
    "egress_https_except": None,
}
# What its vars/main.yml would hold (__risk_checker_data): its config file, volumes, scheduling and network peers.
ROLE_DATA = {
    "anti_affinity": "required",
    "spread": True,
    "config": {"name": "risk-config", "data": {"limits.yaml": "max: 3\n"}},
    "volume_mounts": [{"name": "config", "mountPath": "/etc/risk"}, {"name": "tmp", "mountPath": "/tmp"}],
    "volumes": [{"name": "config", "configMap": {"name": "risk-config"}}, {"name": "tmp", "emptyDir": {}}],
    "network_policy": {
        "from_namespaces": [],
        "from_apps": [REGISTRY["core_engine"]["name"]],
        "to_services": [REGISTRY["mongodb"]],
    },
}
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: botcore.platform.platform
        public: true
    - ansible.builtin.copy:
        dest: "{{ out }}"
        mode: "0600"
        content: >-
          {{ query('ansible.builtin.template',
                   *(__platform_workload_kinds | map('regex_replace', '^', templates ~ '/')),
                   template_vars={'workload': options
                                                | botcore.platform.workload_options('risk_checker', services)
                                                | combine(role_data, recursive=true)
                                                | botcore.platform.workload(platform_labels, platform_version,
                                                                            {'bot-core-secrets': 'abc'})})
             | map('from_yaml') | select | list | to_json }}
"""


def ansible_playbook():
    beside = Path(sys.executable).with_name("ansible-playbook")
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


@pytest.fixture(scope="module")
def objects(tmp_path_factory, collections_path):
    work = tmp_path_factory.mktemp("block")
    playbook = work / "block.yml"
    playbook.write_text(PLAYBOOK)
    out = work / "objects.json"
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith("K8S_AUTH_")}
    env.update(HOME=str(work), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_FORCE_COLOR="false")
    extra = {
        "options": OPTIONS,
        "role_data": ROLE_DATA,
        "services": {**REGISTRY, "risk_checker": SERVICE},
        "out": str(out),
        "templates": str(REPO / "roles/platform/templates/workload"),
        "ansible_python_interpreter": sys.executable,
    }
    result = subprocess.run(
        [ansible_playbook(), str(playbook), "-i", "localhost,", "-c", "local", "-e", json.dumps(extra)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return {f"{obj['kind']}/{obj['metadata']['name']}": obj for obj in json.loads(out.read_text())}


def test_the_block_renders_every_object_of_a_service(objects):
    assert sorted(objects) == [
        "ConfigMap/risk-config",
        "Deployment/risk-checker",
        "HorizontalPodAutoscaler/risk-checker-hpa",
        "NetworkPolicy/risk-checker",
        "PodDisruptionBudget/risk-checker-pdb",
        "Service/risk-checker",
        "ServiceAccount/risk-checker",
    ]
    labels = {"app.kubernetes.io/part-of": "bot-core", "app.kubernetes.io/managed-by": "botcore.platform"}
    for name, obj in objects.items():
        assert obj["metadata"]["namespace"] == "bot-core-test", name
        assert obj["metadata"]["labels"].items() >= {**labels, "app": "risk-checker", "tier": "backend"}.items(), name


def test_the_deployment_carries_the_shared_pieces(objects):
    deployment = objects["Deployment/risk-checker"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["version"] == "v1.0.0"
    annotations = pod["metadata"]["annotations"]
    assert set(annotations) >= {"checksum/config", "checksum/secrets", "prometheus.io/port"}
    assert annotations["prometheus.io/port"] == "9100"
    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    required = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required[0]["labelSelector"]["matchExpressions"][0]["values"] == ["risk-checker"]
    assert spec["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    container = spec["containers"][0]
    assert container["image"] == "registry.example/risk-checker:0.3.1"
    assert container["ports"] == [{"containerPort": 9100, "name": "http", "protocol": "TCP"}]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 9100}
    assert "startupProbe" not in container
    assert container["env"][0] == {"name": "RISK_LIMIT", "value": "0.02"}
    secret_ref = container["env"][1]["valueFrom"]["secretKeyRef"]
    assert secret_ref == {"name": "bot-core-secrets", "key": "inter-service-token"}
    assert spec["terminationGracePeriodSeconds"] == 20
    skips = deployment["metadata"]["annotations"]
    assert "set risk_checker_image.digest" in skips["checkov.io/skip2"]


def test_the_network_policy_admits_its_clients_and_reaches_its_dependencies(objects):
    policy = objects["NetworkPolicy/risk-checker"]["spec"]
    assert policy["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {"app": "rust-core-engine"}}}]
    assert policy["ingress"][0]["ports"] == [{"port": 9100, "protocol": "TCP"}]
    assert policy["egress"] == [
        {
            "to": [{"podSelector": {"matchLabels": {"app": "mongodb"}}}],
            "ports": [{"port": REGISTRY["mongodb"]["port"], "protocol": "TCP"}],
        }
    ]


def test_the_service_hpa_and_pdb_select_the_pods(objects):
    assert objects["Service/risk-checker"]["spec"]["selector"] == {"app": "risk-checker"}
    assert objects["Service/risk-checker"]["spec"]["ports"][0]["port"] == 9100
    hpa = objects["HorizontalPodAutoscaler/risk-checker-hpa"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "risk-checker"
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    assert objects["PodDisruptionBudget/risk-checker-pdb"]["spec"]["selector"]["matchLabels"] == {"app": "risk-checker"}
    assert objects["ConfigMap/risk-config"]["data"] == {"limits.yaml": "max: 3\n"}


def test_the_options_pass_the_platform_roles_workload_spec_under_the_roles_prefix():
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    specs = yaml.safe_load((REPO / "roles/platform/meta/argument_specs.yml").read_text())["argument_specs"]
    spec = {f"risk_checker_{name}": option for name, option in specs["workload"]["options"].items()}
    options = {f"risk_checker_{name}": value for name, value in OPTIONS.items()}
    assert set(spec) == set(options), "a new service role sets every workload option"
    assert ArgumentSpecValidator(spec).validate(options).error_messages == []
    bad = {**options, "risk_checker_session_affinity": "Sticky"}
    assert ArgumentSpecValidator(spec).validate(bad).error_messages
