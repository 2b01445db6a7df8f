# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.operations import (
    FilterModule,
    scale_errors,
    status_rows,
    status_table,
)

ENGINE = {
    "kind": "Deployment",
    "metadata": {"name": "rust-core-engine"},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "rust-core-engine",
                        "resources": {
                            "requests": {"cpu": "1", "memory": "1Gi"},
                            "limits": {"cpu": "2", "memory": "2Gi"},
                        },
                    }
                ]
            }
        },
    },
}
QUOTA = {
    "metadata": {"name": "bot-core-quota"},
    "spec": {"hard": {"requests.cpu": "40", "limits.cpu": "80", "requests.memory": "80Gi", "pods": "20"}},
    "status": {"used": {"requests.cpu": "13500m", "limits.cpu": "27", "requests.memory": "20Gi", "pods": "12"}},
}
LIMITS = {
    "metadata": {"name": "bot-core-limits"},
    "spec": {
        "limits": [
            {
                "type": "Container",
                "max": {"cpu": "8", "memory": "16Gi"},
                "min": {"cpu": "100m", "memory": "128Mi"},
                "default": {"cpu": "1", "memory": "1Gi"},
                "defaultRequest": {"cpu": "500m", "memory": "512Mi"},
            }
        ]
    },
}


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "scale_errors": scale_errors,
        "status_rows": status_rows,
        "status_table": status_table,
    }


def test_a_scale_that_fits_has_no_errors():
    assert scale_errors(ENGINE, 8, [QUOTA], [LIMITS], "operations_replicas") == []


def test_scaling_down_or_to_the_same_count_is_never_refused():
    full = copy.deepcopy(QUOTA)
    full["status"]["used"] = dict(full["spec"]["hard"])
    assert scale_errors(ENGINE, 3, [full], [LIMITS], "operations_replicas") == []
    assert scale_errors(ENGINE, 1, [full], [LIMITS], "operations_replicas") == []


def test_a_scale_beyond_the_quota_names_the_variable_and_the_numbers():
    errors = scale_errors(ENGINE, 40, [QUOTA], [LIMITS], "operations_replicas")
    assert errors == [
        "operations_replicas: 40 replicas of Deployment rust-core-engine (now 3) need 101 limits.cpu in the namespace "
        "(27 used now + 37 x 2 a pod) but ResourceQuota bot-core-quota allows 80",
        "operations_replicas: 40 replicas of Deployment rust-core-engine (now 3) need 49 pods in the namespace "
        "(12 used now + 37 x 1 a pod) but ResourceQuota bot-core-quota allows 20",
        "operations_replicas: 40 replicas of Deployment rust-core-engine (now 3) need 50500m requests.cpu in the "
        "namespace (13500m used now + 37 x 1 a pod) but ResourceQuota bot-core-quota allows 40",
    ]


def test_memory_is_shown_with_binary_suffixes():
    quota = {"metadata": {"name": "q"}, "spec": {"hard": {"requests.memory": "4Gi"}}, "status": {"used": {}}}
    (error,) = scale_errors(ENGINE, 8, [quota], [], "operations_hpa_max_replicas")
    assert error.startswith("operations_hpa_max_replicas: 8 replicas")
    assert "need 5Gi requests.memory" in error and "0 used now + 5 x 1Gi a pod" in error


def test_the_short_quota_keys_and_count_pods_charge_requests_and_pods():
    quota = {"metadata": {"name": "q"}, "spec": {"hard": {"cpu": "1", "count/pods": "1"}}, "status": {"used": {}}}
    errors = scale_errors(ENGINE, 5, [quota], [], "operations_replicas")
    assert [error.split(" need ")[1].split(" in ")[0] for error in errors] == ["2 count/pods", "2 cpu"]


def test_the_pod_charge_counts_init_containers_and_limit_range_defaults():
    workload = copy.deepcopy(ENGINE)
    pod = workload["spec"]["template"]["spec"]
    pod["containers"].append({"name": "sidecar"})  # LimitRange defaults: request 500m, limit 1
    pod["initContainers"] = [{"name": "init", "resources": {"requests": {"cpu": "3"}, "limits": {"cpu": "3"}}}]
    quota = {"metadata": {"name": "q"}, "spec": {"hard": {"requests.cpu": "1", "limits.cpu": "100"}}, "status": {}}
    (error,) = scale_errors(workload, 4, [quota], [LIMITS], "operations_replicas")
    # The init container's 3 CPU exceeds the containers' 1.5, so a pod charges 3.
    assert "need 3 requests.cpu" in error and "1 x 3 a pod" in error


def test_a_missing_request_takes_the_limit():
    workload = copy.deepcopy(ENGINE)
    workload["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "2"}}
    quota = {"metadata": {"name": "q"}, "spec": {"hard": {"requests.cpu": "3"}}, "status": {}}
    (error,) = scale_errors(workload, 5, [quota], [LIMITS], "operations_replicas")
    assert "2 x 2 a pod" in error


def test_containers_outside_the_limit_range_are_refused():
    limits = copy.deepcopy(LIMITS)
    limits["spec"]["limits"][0]["max"] = {"cpu": "1500m"}
    limits["spec"]["limits"].append({"type": "Pod", "min": {"memory": "2Gi"}})
    errors = scale_errors(ENGINE, 4, [], [limits], "operations_replicas")
    assert errors == [
        "operations_replicas: new pods of Deployment rust-core-engine would be rejected: container rust-core-engine "
        "limits.cpu 2 is above LimitRange bot-core-limits max 1500m",
        "operations_replicas: new pods of Deployment rust-core-engine would be rejected: the pod requests.memory 1Gi "
        "is below LimitRange bot-core-limits min 2Gi",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("not a dict", 3, [], []), "the workload must be a dict"),
        ((ENGINE, 3, "q", []), "quotas must be a list"),
        ((ENGINE, 3, [], {}), "limit_ranges must be a list"),
        ((ENGINE, "many", [], []), "operations_replicas: 'many' is not an integer"),
    ],
)
def test_bad_input_raises(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        scale_errors(*args, "operations_replicas")


def test_a_negative_count_is_an_error():
    assert scale_errors(ENGINE, -1, [], [], "operations_replicas") == ["operations_replicas: -1 must be at least 0"]


def rollout(kind, name, image, revision=2, ready=3, message="successfully rolled out"):
    return {
        "kind": kind,
        "name": name,
        "revision": revision,
        "replicas": {"desired": 3, "current": 3, "updated": 3, "ready": ready, "available": ready},
        "images": {name: image},
        "complete": ready == 3,
        "message": message,
    }


WORKLOADS = {
    "mongodb": {"kind": "StatefulSet", "name": "mongodb", "hpa": ""},
    "ai_service": {"kind": "Deployment", "name": "python-ai-service", "hpa": "python-ai-service-hpa"},
}
OBJECTS = [
    {
        "kind": "StatefulSet",
        "metadata": {"name": "mongodb"},
        "spec": {"replicas": 2, "volumeClaimTemplates": [{"metadata": {"name": "data"}}], "template": {"spec": {}}},
        "status": {},
    },
    {
        "kind": "Deployment",
        "metadata": {"name": "python-ai-service"},
        "spec": {
            "template": {"spec": {"volumes": [{"name": "m", "persistentVolumeClaim": {"claimName": "ai-models-pvc"}}]}}
        },
        "status": {"conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]},
    },
]
HPAS = [
    {
        "metadata": {"name": "python-ai-service-hpa"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "python-ai-service"},
            "minReplicas": 3,
            "maxReplicas": 10,
        },
        "status": {"currentReplicas": 3, "desiredReplicas": 3},
    }
]
CLAIMS = [
    {"metadata": {"name": "data-mongodb-0"}, "status": {"phase": "Bound", "capacity": {"storage": "100Gi"}}},
    {"metadata": {"name": "ai-models-pvc"}, "status": {"phase": "Pending"}},
]
ROLLOUTS = {
    "mongodb": rollout("StatefulSet", "mongodb", "mongo:7.0", revision=1),
    "ai_service": rollout(
        "Deployment", "python-ai-service", "ai:1.0", ready=2, message="2 of 3 updated replicas available"
    ),
}


def test_status_rows_join_rollouts_hpas_and_claims():
    rows = status_rows(ROLLOUTS, WORKLOADS, OBJECTS, HPAS, CLAIMS)
    assert [row["component"] for row in rows] == ["mongodb", "ai_service"]
    mongodb, ai = rows
    assert mongodb["hpa"] is None
    assert mongodb["claims"] == [
        {"name": "data-mongodb-0", "phase": "Bound", "capacity": "100Gi"},
        {"name": "data-mongodb-1", "phase": "Missing", "capacity": ""},
    ]
    assert mongodb["condition"] == ""
    assert ai["hpa"] == {"name": "python-ai-service-hpa", "current": 3, "desired": 3, "min": 3, "max": 10}
    assert ai["claims"] == [{"name": "ai-models-pvc", "phase": "Pending", "capacity": ""}]
    assert (ai["desired"], ai["ready"], ai["updated"], ai["revision"], ai["images"]) == (3, 2, 3, 2, ["ai:1.0"])
    assert ai["condition"] == "Progressing=True NewReplicaSetAvailable"
    assert ai["complete"] is False


def test_status_rows_reject_unknown_components_and_bad_input():
    with pytest.raises(AnsibleFilterError, match="dashboard is not in the workloads"):
        status_rows({"dashboard": ROLLOUTS["mongodb"]}, WORKLOADS, OBJECTS, HPAS, CLAIMS)
    with pytest.raises(AnsibleFilterError, match="objects must be a list"):
        status_rows(ROLLOUTS, WORKLOADS, "x", HPAS, CLAIMS)


def test_status_table_aligns_one_line_per_component():
    lines = status_table(status_rows(ROLLOUTS, WORKLOADS, OBJECTS, HPAS, CLAIMS))
    assert len(lines) == 3
    assert lines[0].split() == [
        "COMPONENT",
        "WORKLOAD",
        "READY",
        "UPDATED",
        "REVISION",
        "IMAGE",
        "HPA",
        "cur/min/max",
        "PVC",
        "ROLLOUT",
    ]
    assert lines[1].split()[:7] == ["mongodb", "StatefulSet/mongodb", "3/3", "3", "1", "mongo:7.0", "-"]
    assert "data-mongodb-0 Bound, data-mongodb-1 Missing" in lines[1]
    assert lines[2].split()[:7] == ["ai_service", "Deployment/python-ai-service", "2/3", "3", "2", "ai:1.0", "3/3/10"]
    assert lines[2].endswith("2 of 3 updated replicas available (Progressing=True NewReplicaSetAvailable)")
    # Columns line up: each header starts where its values start.
    start = lines[0].index("IMAGE")
    assert lines[1][start:].startswith("mongo:7.0") and lines[2][start:].startswith("ai:1.0")


def test_status_table_rejects_bad_rows():
    with pytest.raises(AnsibleFilterError, match="a row must be a dict"):
        status_table(["x"])
