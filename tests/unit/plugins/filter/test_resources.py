# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.resources import (
    FilterModule,
    hpa_errors,
    k8s_quantity,
    replica_errors,
    resource_errors,
)

VAR = "core_engine_resources"
VALID = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": 2, "memory": "2Gi"}}
HPA = {"enabled": True, "min_replicas": 2, "max_replicas": 10, "cpu_utilization": 70, "memory_utilization": 80}


def with_change(base, path, value):
    """Return a deep copy of base with the dotted path set to value, or removed when value is ...."""
    result = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    target = result
    for key in parents:
        target = target[key]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return result


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "k8s_quantity": k8s_quantity,
        "resource_errors": resource_errors,
        "hpa_errors": hpa_errors,
        "replica_errors": replica_errors,
    }


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("500m", None, 0.5),
        ("1Gi", None, 1073741824.0),
        (2, None, 2.0),
        (0.25, None, 0.25),
        ("1e3", None, 1000.0),
        ("1Gi", "Mi", 1024.0),
        ("1500m", "m", 1500.0),
        ("2", "m", 2000.0),
        ("3G", "M", 3000.0),
    ],
)
def test_k8s_quantity(value, unit, expected):
    result = k8s_quantity(value, unit)
    assert result == expected
    assert isinstance(result, float)


@pytest.mark.parametrize("value", ["12x", "", None, "1.5.5", True])
def test_k8s_quantity_rejects_garbage(value):
    with pytest.raises(AnsibleFilterError, match=r"^k8s_quantity: .* is not a Kubernetes quantity$") as info:
        k8s_quantity(value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("unit", ["cores", "", "K", "bytes"])
def test_k8s_quantity_rejects_unknown_unit(unit):
    with pytest.raises(AnsibleFilterError, match=rf"^k8s_quantity: unit {unit!r} is not one of n, u, m, k, "):
        k8s_quantity("1", unit)


@pytest.mark.parametrize(
    "resources",
    [
        VALID,
        {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        {"requests": {"cpu": 0.1, "memory": "128M"}, "limits": {"cpu": "1500m", "memory": "1e9"}},
    ],
)
def test_resource_errors_valid(resources):
    assert resource_errors(resources, VAR) == []


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        (None, [f"{VAR}: must be a dict with requests and limits, got None"]),
        ("1Gi", [f"{VAR}: must be a dict with requests and limits, got '1Gi'"]),
        ({}, [f"{VAR}.requests is missing", f"{VAR}.limits is missing"]),
        (with_change(VALID, "requests", ...), [f"{VAR}.requests is missing"]),
        (with_change(VALID, "limits", None), [f"{VAR}.limits is missing"]),
        (with_change(VALID, "limits", "2Gi"), [f"{VAR}.limits: must be a dict with cpu and memory, got '2Gi'"]),
        (with_change(VALID, "requests.cpu", ...), [f"{VAR}.requests.cpu is missing"]),
        (with_change(VALID, "limits.memory", None), [f"{VAR}.limits.memory is missing"]),
        (with_change(VALID, "requests.cpu", "12x"), [f"{VAR}.requests.cpu: '12x' is not a Kubernetes quantity"]),
        (with_change(VALID, "limits.cpu", True), [f"{VAR}.limits.cpu: True is not a Kubernetes quantity"]),
        (with_change(VALID, "requests.memory", 0), [f"{VAR}.requests.memory: 0 must be greater than zero"]),
        (with_change(VALID, "requests.cpu", "0m"), [f"{VAR}.requests.cpu: '0m' must be greater than zero"]),
        (with_change(VALID, "limits.cpu", "-1"), [f"{VAR}.limits.cpu: '-1' must be greater than zero"]),
        (
            with_change(VALID, "requests.memory", "4Gi"),
            [f"{VAR}.requests.memory (4Gi) exceeds limits.memory (2Gi)"],
        ),
        (with_change(VALID, "requests.cpu", "2001m"), [f"{VAR}.requests.cpu (2001m) exceeds limits.cpu (2)"]),
        (
            {"requests": {"cpu": "x"}, "limits": {"cpu": "1", "memory": "0"}},
            [
                f"{VAR}.requests.cpu: 'x' is not a Kubernetes quantity",
                f"{VAR}.requests.memory is missing",
                f"{VAR}.limits.memory: '0' must be greater than zero",
            ],
        ),
    ],
)
def test_resource_errors(resources, expected):
    assert resource_errors(resources, VAR) == expected


@pytest.mark.parametrize(
    ("hpa", "replicas", "expected"),
    [
        (HPA, None, []),
        (HPA, 0, []),
        (HPA, "3", []),
        (with_change(HPA, "cpu_utilization", 150), None, []),
        (with_change(with_change(HPA, "cpu_utilization", ...), "memory_utilization", None), None, []),
        (with_change(HPA, "max_replicas", 2), None, []),
        ({"enabled": False}, 1, []),
        ({"enabled": False, "min_replicas": 0, "max_replicas": 0, "cpu_utilization": 0}, None, []),
    ],
)
def test_hpa_errors_valid(hpa, replicas, expected):
    assert hpa_errors(hpa, "core_engine_hpa", replicas) == expected


@pytest.mark.parametrize(
    ("hpa", "expected"),
    [
        (None, ["h: must be a dict, got None"]),
        ([HPA], [f"h: must be a dict, got {[HPA]!r}"]),
        (with_change(HPA, "enabled", ...), ["h.enabled: must be true or false, got None"]),
        (with_change(HPA, "enabled", "yes"), ["h.enabled: must be true or false, got 'yes'"]),
        (with_change(HPA, "min_replicas", ...), ["h.min_replicas is missing"]),
        (with_change(HPA, "max_replicas", None), ["h.max_replicas is missing"]),
        (with_change(HPA, "min_replicas", 0), ["h.min_replicas: 0 must be at least 1"]),
        (with_change(HPA, "max_replicas", 0), ["h.max_replicas: 0 must be at least 1"]),
        (
            with_change(with_change(HPA, "min_replicas", 5), "max_replicas", 3),
            ["h.min_replicas (5) is above max_replicas (3)"],
        ),
        (with_change(HPA, "min_replicas", "5"), []),
        (with_change(HPA, "min_replicas", "five"), ["h.min_replicas: 'five' is not an integer"]),
        (with_change(HPA, "max_replicas", True), ["h.max_replicas: True is not an integer"]),
        (with_change(HPA, "max_replicas", 4.0), ["h.max_replicas: 4.0 is not an integer"]),
        (with_change(HPA, "cpu_utilization", 0), ["h.cpu_utilization: 0 must be at least 1"]),
        (with_change(HPA, "memory_utilization", -5), ["h.memory_utilization: -5 must be at least 1"]),
        (with_change(HPA, "cpu_utilization", "70%"), ["h.cpu_utilization: '70%' is not an integer"]),
        # Disabled: values are type-checked but not range-checked.
        ({"enabled": False, "min_replicas": "two"}, ["h.min_replicas: 'two' is not an integer"]),
        ({"enabled": False, "max_replicas": False}, ["h.max_replicas: False is not an integer"]),
        ({"enabled": False, "memory_utilization": 0.5}, ["h.memory_utilization: 0.5 is not an integer"]),
        # An unusable enabled flag is reported once; the rest is only type-checked.
        (
            {"enabled": "true", "min_replicas": 0, "max_replicas": "x"},
            [
                "h.enabled: must be true or false, got 'true'",
                "h.max_replicas: 'x' is not an integer",
            ],
        ),
    ],
)
def test_hpa_errors(hpa, expected):
    assert hpa_errors(hpa, "h") == expected


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [
        (-1, ["core_engine_replicas: -1 must be at least 0"]),
        ("-1", ["core_engine_replicas: -1 must be at least 0"]),
        ("many", ["core_engine_replicas: 'many' is not an integer"]),
        (True, ["core_engine_replicas: True is not an integer"]),
        (1.5, ["core_engine_replicas: 1.5 is not an integer"]),
    ],
)
def test_hpa_errors_replicas(replicas, expected):
    assert hpa_errors(HPA, "core_engine_hpa", replicas, "core_engine_replicas") == expected


def test_hpa_errors_replicas_default_name_and_order():
    assert hpa_errors(with_change(HPA, "min_replicas", 0), "h", -2) == [
        "replicas: -2 must be at least 0",
        "h.min_replicas: 0 must be at least 1",
    ]


@pytest.mark.parametrize(("value", "expected"), [(0, []), (3, []), ("3", []), (100, [])])
def test_replica_errors_valid(value, expected):
    assert replica_errors(value, "mongodb_replicas") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1, ["mongodb_replicas: -1 must be at least 0"]),
        (None, ["mongodb_replicas: None is not an integer"]),
        (False, ["mongodb_replicas: False is not an integer"]),
        (2.0, ["mongodb_replicas: 2.0 is not an integer"]),
        ("3 ", ["mongodb_replicas: '3 ' is not an integer"]),
        ([3], ["mongodb_replicas: [3] is not an integer"]),
    ],
)
def test_replica_errors(value, expected):
    assert replica_errors(value, "mongodb_replicas") == expected


BEHAVIOR = {
    "scaleUp": {"stabilizationWindowSeconds": 120, "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]},
    "scaleDown": {"selectPolicy": "Min", "policies": [{"type": "Percent", "value": 10, "periodSeconds": 1800}]},
}


def test_hpa_errors_accepts_a_behavior_within_the_api_servers_bounds():
    assert hpa_errors({**HPA, "behavior": BEHAVIOR}, "dashboard_hpa") == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "scaleUp.policies",
            [{"type": "Pods", "value": 2, "periodSeconds": 1801}],
            "dashboard_hpa.behavior.scaleUp.policies[0].periodSeconds: 1801 must be at most 1800 (30 minutes)",
        ),
        (
            "scaleDown.policies",
            [{"type": "Percent", "value": 10, "periodSeconds": 0}],
            "dashboard_hpa.behavior.scaleDown.policies[0].periodSeconds: 0 must be at least 1",
        ),
        (
            "scaleUp.policies",
            [{"type": "Replicas", "value": 2, "periodSeconds": 60}],
            "dashboard_hpa.behavior.scaleUp.policies[0].type: 'Replicas' is not one of Pods, Percent",
        ),
        (
            "scaleUp.policies",
            [{"type": "Pods", "value": 0, "periodSeconds": 60}],
            "dashboard_hpa.behavior.scaleUp.policies[0].value: 0 must be at least 1",
        ),
        (
            "scaleUp.stabilizationWindowSeconds",
            3601,
            "dashboard_hpa.behavior.scaleUp.stabilizationWindowSeconds: 3601 must be at most 3600",
        ),
        ("scaleDown.selectPolicy", "Maximum", "dashboard_hpa.behavior.scaleDown.selectPolicy: 'Maximum' is not one of"),
        ("scaleSideways", {}, "dashboard_hpa.behavior.scaleSideways: is not scaleUp or scaleDown"),
    ],
)
def test_hpa_errors_refuses_a_behavior_the_api_server_refuses(path, value, expected):
    errors = hpa_errors({**HPA, "behavior": with_change(BEHAVIOR, path, value)}, "dashboard_hpa")
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_hpa_errors_leaves_the_behavior_of_a_disabled_hpa_alone():
    behavior = with_change(BEHAVIOR, "scaleUp.policies", [{"type": "Pods", "value": 2, "periodSeconds": 9999}])
    assert hpa_errors({**HPA, "enabled": False, "behavior": behavior}, "dashboard_hpa") == []
