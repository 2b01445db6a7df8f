# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.botcore.platform.plugins.filter.inventory import (
    FilterModule,
    entry_point_options,
    namespace_errors,
    option_names,
    unknown_option_errors,
)

ROOT = Path(__file__).resolve().parents[4]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())


def spec(role):
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())


SERVICE_ROLES = ["core_engine", "ai_service", "dashboard"]


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "entry_point_options": entry_point_options,
        "namespace_errors": namespace_errors,
        "option_names": option_names,
        "unknown_option_errors": unknown_option_errors,
    }


SPEC = {"argument_specs": {"main": {"options": {"b": {"type": "int"}, "a": {"type": "str"}}}, "workload": {}}}


def test_entry_point_options_carry_the_prefix():
    assert entry_point_options(SPEC, "main", "core_engine_") == {
        "core_engine_b": {"type": "int"},
        "core_engine_a": {"type": "str"},
    }
    assert entry_point_options(SPEC, "workload") == {}


def test_option_names_are_sorted_and_an_unknown_entry_point_fails():
    assert option_names(SPEC) == ["a", "b"]
    with pytest.raises(ValueError, match="no entry point validate"):
        option_names(SPEC, "validate")
    with pytest.raises(ValueError, match="not the content"):
        option_names({"main": {}})


@pytest.mark.parametrize("namespace", ["bot-core-production", "a", "team-1"])
def test_a_namespace_of_its_own_passes(namespace):
    assert namespace_errors(namespace, "platform_namespace") == []


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "default", "kube-node-lease"])
def test_a_reserved_namespace_fails(namespace):
    assert namespace_errors(namespace, "platform_namespace") == [
        f"platform_namespace: {namespace!r} is reserved (default, kube-system, kube-public, kube-node-lease); "
        "give the platform its own"
    ]


@pytest.mark.parametrize("namespace", ["Bot_Core", "-x", "", "a" * 64, None, 5])
def test_a_namespace_that_is_not_a_dns_label_fails(namespace):
    assert namespace_errors(namespace, "core_engine_namespace") == [
        f"core_engine_namespace: {namespace!r} is not a valid namespace name (a DNS label)"
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_default_of_every_role_is_an_option(role):
    defaults_file = ROOT / "roles" / role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    # A service role's workload options are the platform role's `workload` entry point under its prefix.
    workload = entry_point_options(spec("platform"), "workload", f"{role}_") if role in SERVICE_ROLES else {}
    assert unknown_option_errors(list(defaults or {}), spec(role), role, ROLES, list(workload)) == []


def test_every_workload_option_has_a_default_in_each_service_role():
    for role in SERVICE_ROLES:
        defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
        assert set(entry_point_options(spec("platform"), "workload", f"{role}_")) <= set(defaults), role


def test_a_misspelt_option_fails_with_the_closest_name():
    names = ["core_engine_replicas", "core_engine_replica", "core_engine_hpa"]
    workload = list(entry_point_options(spec("platform"), "workload", "core_engine_"))
    assert unknown_option_errors(names, spec("core_engine"), "core_engine", ROLES, workload) == [
        "core_engine_replica: not an option of the core_engine role; did you mean core_engine_replicas?"
    ]


def test_an_option_of_another_entry_point_passes():
    assert unknown_option_errors(["mongodb_restore_archive"], spec("mongodb"), "mongodb", ROLES) == []


def test_a_longer_role_prefix_belongs_to_that_role():
    names = ["ingress_nginx_enabled", "ingress_nginx_chart_version"]
    assert unknown_option_errors(names, spec("ingress"), "ingress", ROLES) == []
    assert unknown_option_errors(["ingress_nginx_enabled"], spec("ingress"), "ingress", []) != []


def test_a_known_fact_passes():
    assert unknown_option_errors(["platform_secret_checksums"], spec("platform"), "platform", ROLES) == [
        "platform_secret_checksums: not an option of the platform role; did you mean platform_services?"
    ]
    assert (
        unknown_option_errors(
            ["platform_secret_checksums"], spec("platform"), "platform", ROLES, ["platform_secret_checksums"]
        )
        == []
    )


def test_a_name_close_to_nothing_points_at_the_spec():
    assert unknown_option_errors(["core_engine_qqqqqqqqqqqqqqqq"], spec("core_engine"), "core_engine") == [
        "core_engine_qqqqqqqqqqqqqqqq: not an option of the core_engine role; "
        "the role's options are listed in its argument spec"
    ]


def test_names_without_the_prefix_are_not_the_roles():
    assert unknown_option_errors(["__core_engine_data", "ansible_host"], spec("core_engine"), "core_engine") == []


def test_not_a_spec_raises():
    with pytest.raises(ValueError, match="argument_specs"):
        unknown_option_errors(["x_y"], {"nope": 1}, "x")
