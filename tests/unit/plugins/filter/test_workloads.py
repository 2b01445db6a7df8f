# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.workloads import (
    FilterModule,
    pod_scheduling,
    workload,
    workload_errors,
    workload_options,
)

LABELS = {"app.kubernetes.io/part-of": "bot-core"}
DATA = {
    "role": "core_engine",
    "name": "rust-core-engine",
    "namespace": "ns",
    "port": 8080,
    "tier": "backend",
    "image": {"registry": "r", "repository": "e", "tag": "1", "digest": ""},
    "secret_env": [{"name": "A", "secret": "s1", "key": "k"}, {"name": "B", "secret": "s1", "key": "j"}],
    "config": {"name": "c", "data": {"config.toml": "x = 1\n"}},
    "hpa": {"enabled": True},
}


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "workload": workload,
        "workload_options": workload_options,
        "pod_scheduling": pod_scheduling,
        "workload_errors": workload_errors,
    }


def test_labels_selector_and_version():
    model = workload(DATA, LABELS, "v2")
    assert model["selector"] == {"app": "rust-core-engine"}
    assert model["labels"] == {**LABELS, "app": "rust-core-engine", "tier": "backend"}
    assert model["workload_labels"] == {**model["labels"], "version": "v2"}


def test_checksums_match_ansible_to_json_and_hash():
    model = workload(DATA, LABELS, "v1", {"s1": "abc", "other": "zzz"})
    # As `{'config.toml': 'x = 1\n'} | to_json(sort_keys=true) | hash('sha256')` renders it.
    assert model["checksums"]["checksum/config"] == hashlib.sha256(b'{"config.toml": "x = 1\\n"}').hexdigest()
    assert model["checksums"]["checksum/secrets"] == hashlib.sha256(b'{"s1": "abc"}').hexdigest()


def test_a_changed_secret_it_does_not_read_leaves_its_checksum():
    one = workload(DATA, LABELS, "v1", {"s1": "abc", "other": "1"})
    two = workload(DATA, LABELS, "v1", {"s1": "abc", "other": "2"})
    assert one["checksums"] == two["checksums"]


def test_no_config_no_config_checksum():
    model = workload({**DATA, "config": None}, LABELS, "v1")
    assert list(model["checksums"]) == ["checksum/secrets"]


@pytest.mark.parametrize(
    ("hpa", "managed", "owns"),
    [({"enabled": True}, True, True), ({"enabled": True}, False, False), ({"enabled": False}, True, False)],
)
def test_the_hpa_owns_replicas_only_when_enabled_and_managed(hpa, managed, owns):
    assert workload({**DATA, "hpa": hpa, "replicas_managed_by_hpa": managed}, LABELS, "v1")["hpa_owns_replicas"] is owns


def test_checkov_skips_name_the_role_and_follow_digest_and_policy():
    skips = workload(DATA, LABELS, "v1")["checkov_skips"]
    assert [skip.split("=")[0] for skip in skips] == ["CKV_K8S_35", "CKV_K8S_43", "CKV_K8S_15"]
    assert "core_engine_image.digest" in skips[1]
    assert len(workload(DATA, LABELS, "v1", image_pull_policy="Always")["checkov_skips"]) == 2
    pinned = {**DATA, "image": {**DATA["image"], "digest": "sha256:" + "0" * 64}}
    assert len(workload(pinned, LABELS, "v1")["checkov_skips"]) == 1


@pytest.mark.parametrize("data", [None, "x", {"role": "r"}, {key: 1 for key in ("role", "name", "port")}])
def test_incomplete_data_fails(data):
    with pytest.raises(AnsibleFilterError):
        workload(data, LABELS, "v1")


def test_preferred_scheduling_with_spread():
    scheduling = pod_scheduling("mongodb", "preferred", True)
    preferred = scheduling["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert preferred[0]["weight"] == 100
    assert preferred[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert scheduling["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "ScheduleAnyway"


def test_required_scheduling_is_hard_both_ways():
    scheduling = pod_scheduling("rust-core-engine", "required", True)
    assert list(scheduling["affinity"]["podAntiAffinity"]) == ["requiredDuringSchedulingIgnoredDuringExecution"]
    assert scheduling["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"


def test_no_spread_leaves_the_constraint_out():
    assert "topologySpreadConstraints" not in pod_scheduling("x", "preferred", False)


def test_an_unknown_anti_affinity_fails():
    with pytest.raises(AnsibleFilterError, match="anti_affinity"):
        pod_scheduling("x", "strict")


# The data a role hands to workload_errors, valid as the roles' defaults are.
VALID = {
    **DATA,
    "replicas": 3,
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    "hpa": {"enabled": True, "min_replicas": 3, "max_replicas": 10, "cpu_utilization": 70, "memory_utilization": 75},
    "pdb_max_unavailable": 1,
    "progress_deadline_seconds": 600,
    "env": {"RUST_LOG": "info"},
    "pre_stop_sleep_seconds": 20,
    "termination_grace_period_seconds": 30,
    "image": {"registry": "r.io", "repository": "e", "tag": "1.0.0", "digest": ""},
}


def test_valid_workload_data_passes():
    assert workload_errors(VALID, production=True) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"pre_stop_sleep_seconds": 30},
            "core_engine_pre_stop_sleep_seconds: 30 s is not shorter than core_engine_termination_grace_period_seconds "
            "(30 s); the kubelet would kill the pods before the preStop hook ends",
        ),
        (
            {"pdb_max_unavailable": 3},
            "core_engine_pdb_max_unavailable: 3 lets a disruption take all of the 3 pods at once; "
            "the PodDisruptionBudget would protect nothing (use at most 2)",
        ),
        (
            {"hpa": {**VALID["hpa"], "enabled": False}, "replicas": 2, "pdb_max_unavailable": 2},
            "core_engine_pdb_max_unavailable: 2 lets a disruption take all of the 2 pods at once; "
            "the PodDisruptionBudget would protect nothing (use at most 1)",
        ),
        (
            {"namespace": "default"},
            "core_engine_namespace: 'default' is reserved (default, kube-system, kube-public, kube-node-lease); "
            "give the platform its own",
        ),
        (
            {"progress_deadline_seconds": "soon"},
            "core_engine_progress_deadline_seconds: must be a number of seconds of at least 1, got soon",
        ),
        ({"env": {"TRADING": False}}, "core_engine_env.TRADING: must be a string; quote it in YAML"),
        (
            {"env": {"LOG=LEVEL": "info"}},
            "core_engine_env: the name 'LOG=LEVEL' is not an environment variable name (printable ASCII characters "
            "but '=', not empty); the API server would refuse the pods",
        ),
        (
            {"env": {"NAÏVE": "1"}},
            "core_engine_env: the name 'NAÏVE' is not an environment variable name (printable ASCII characters "
            "but '=', not empty); the API server would refuse the pods",
        ),
        (
            {"image": {**VALID["image"], "tag": "latest"}},
            "core_engine_image.tag: 'latest' is a floating tag, not allowed in production; "
            "pin a version tag or a digest",
        ),
    ],
)
def test_each_rule_fails_naming_the_variable(change, expected):
    assert workload_errors({**VALID, **change}, production=True) == [expected]


def test_env_names_the_api_server_accepts_pass():
    assert workload_errors({**VALID, "env": {"RUST_LOG": "info", "spring.profiles": "prod", "A-B": "1"}}) == []


def test_a_single_replica_may_be_drained():
    single = {**VALID, "hpa": {**VALID["hpa"], "enabled": False}, "replicas": 1, "pdb_max_unavailable": 1}
    assert workload_errors(single) == []


def test_the_rules_of_the_shared_filters_apply_too():
    errors = workload_errors({**VALID, "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}})
    assert errors and all(error.startswith("core_engine_resources") for error in errors)
    assert workload_errors({**VALID, "hpa": {**VALID["hpa"], "min_replicas": 11}})[0].startswith("core_engine_hpa")


OPTION_NAMES = """namespace image replicas replicas_managed_by_hpa strategy progress_deadline_seconds env secret_env
resources pre_stop_sleep_seconds termination_grace_period_seconds session_affinity hpa pdb_max_unavailable
startup_probe liveness_probe readiness_probe network_policy_enabled egress_https_except"""
OPTIONS = {key: f"<{key}>" for key in OPTION_NAMES.split()}
SERVICES = {"core_engine": {"name": "rust-core-engine", "kind": "Deployment", "port": 8080, "tier": "backend"}}


def test_workload_options_give_the_block_its_data_and_the_registry_its_name_port_and_tier():
    data = workload_options(OPTIONS, "core_engine", SERVICES)
    assert data["role"] == "core_engine"
    assert (data["name"], data["port"], data["tier"]) == ("rust-core-engine", 8080, "backend")
    assert data["replicas"] == "<replicas>"
    assert data["hpa"] == "<hpa>"
    assert data["probes"] == {
        "startup": "<startup_probe>",
        "liveness": "<liveness_probe>",
        "readiness": "<readiness_probe>",
    }
    assert data["network_policy"] == {"enabled": "<network_policy_enabled>", "https_except": "<egress_https_except>"}
    assert "startup_probe" not in data


def test_workload_options_of_a_component_outside_the_registry_fail():
    with pytest.raises(AnsibleFilterError, match="risk_checker is not in the service registry"):
        workload_options(OPTIONS, "risk_checker", SERVICES)
