# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.services import (
    FilterModule,
    service_ref_errors,
    service_workloads,
)

ROOT = Path(__file__).resolve().parents[4]
# The collection's own registry, so that these tests follow it.
REGISTRY = yaml.safe_load((ROOT / "roles/platform/defaults/main.yml").read_text())["platform_services"]


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "service_workloads": service_workloads,
        "service_ref_errors": service_ref_errors,
    }


def test_workloads_follow_the_registry_in_its_order():
    assert service_workloads(REGISTRY) == {
        "mongodb": {"kind": "StatefulSet", "name": "mongodb", "hpa": ""},
        "ai_service": {"kind": "Deployment", "name": "python-ai-service", "hpa": "python-ai-service-hpa"},
        "core_engine": {"kind": "Deployment", "name": "rust-core-engine", "hpa": "rust-core-engine-hpa"},
        "dashboard": {"kind": "Deployment", "name": "nextjs-ui-dashboard", "hpa": "nextjs-ui-dashboard-hpa"},
    }
    assert list(service_workloads(REGISTRY)) == ["mongodb", "ai_service", "core_engine", "dashboard"]


def test_a_renamed_service_renames_its_workload_and_hpa():
    registry = {**REGISTRY, "core_engine": {**REGISTRY["core_engine"], "name": "engine"}}
    assert service_workloads(registry)["core_engine"] == {"kind": "Deployment", "name": "engine", "hpa": "engine-hpa"}


@pytest.mark.parametrize("registry", [{}, [], "x", {"a": {"name": "a"}}, {"a": "b"}])
def test_a_broken_registry_fails(registry):
    with pytest.raises(AnsibleFilterError):
        service_workloads(registry)


@pytest.mark.parametrize(
    ("ref", "name_key"),
    [
        ({"service": "rust-core-engine", "port": 8080}, "service"),
        ({"service": "nextjs-ui-dashboard", "port": "3000"}, "service"),
        ({"name": "rust-core-engine", "port": 8080}, "name"),
    ],
)
def test_a_reference_to_a_registered_service_and_port_passes(ref, name_key):
    assert service_ref_errors(ref, "ingress_core_backend", REGISTRY, name_key) == []


def test_a_reference_to_another_port_fails_naming_the_variable():
    assert service_ref_errors({"service": "rust-core-engine", "port": 9090}, "ingress_core_backend", REGISTRY) == [
        "ingress_core_backend.port: rust-core-engine serves on 8080 (platform_services.core_engine.port), "
        "not 9090; nothing would answer there"
    ]


def test_a_reference_to_an_unknown_service_fails_naming_the_variable():
    assert service_ref_errors({"name": "rust-engine", "port": 8080}, "service_mesh_service", REGISTRY, "name") == [
        "service_mesh_service.name: 'rust-engine' is no service of the platform (platform_services has mongodb, "
        "nextjs-ui-dashboard, python-ai-service, rust-core-engine)"
    ]


def test_a_reference_that_is_not_a_dict_fails():
    assert service_ref_errors("rust-core-engine:8080", "ingress_core_backend", REGISTRY) == [
        "ingress_core_backend: must be a dict with service and port, got 'rust-core-engine:8080'"
    ]


def test_the_day2_choices_are_the_registry_components():
    # Argument spec choices cannot be templated: this keeps operations' (and so the AWX surveys') in step.
    specs = yaml.safe_load((ROOT / "roles/operations/meta/argument_specs.yml").read_text())["argument_specs"]
    assert specs["restart"]["options"]["operations_components"]["choices"] == list(REGISTRY)
    assert sorted(specs["rollback"]["options"]["operations_component"]["choices"]) == sorted(REGISTRY)
    deployments = [component for component, service in REGISTRY.items() if service["kind"] == "Deployment"]
    assert sorted(specs["scale"]["options"]["operations_component"]["choices"]) == sorted(deployments)
