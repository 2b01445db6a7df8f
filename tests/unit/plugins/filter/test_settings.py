# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each rule of settings_errors: the roles' own defaults pass, and one change per rule fails naming its variable."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.botcore.platform.plugins.filter.settings import (
    FilterModule,
    mesh_duration_ms,
    promql_errors,
    secret_ref_errors,
    settings_errors,
)

ROOT = Path(__file__).resolve().parents[4]
ROLES = [
    "platform",
    "namespace",
    "secrets",
    "dashboard",
    "ai_service",
    "ingress",
    "service_mesh",
    "monitoring",
    "istio",
    "cert_manager",
    "kube_prometheus_stack",
    "ingress_nginx",
]


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def _defaults():
    values = {}
    for role in [*ROLES, "mongodb", "core_engine"]:
        values.update(yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {})
    return _trusted(values)


@pytest.fixture(scope="module")
def defaults():
    values = _defaults()
    # The defaults as Ansible resolves them.
    # The one setting without a usable default: the ACME account, which every inventory with issuers gives.
    values["cert_manager_acme_email"] = "platform@botcore.app"
    # Production's external key from the vault, and one provided internal key (so it cannot be rotated here).
    values["secrets_binance_api_key"] = "b" * 64
    values["secrets_rust_api_key"] = "r" * 48
    templar = Templar(loader=DataLoader(), variables=values)
    return {name: templar.template(value) for name, value in values.items()}


SECRET_KEYS = [
    {"secret": "bot-core-secrets", "key": "rust-api-key", "var": "secrets_rust_api_key"},
    {"secret": "binance-secrets", "key": "api-key", "var": "secrets_binance_api_key", "external": True},
]


def _extra(role, defaults):
    return {
        "secrets": {"keys": SECRET_KEYS, "refs": {"core_engine_secret_env": defaults["core_engine_secret_env"][1:2]}},
        "ingress": defaults["platform_services"],
        "service_mesh": defaults["platform_services"],
        "istio": "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml",
    }.get(role)


def _with(defaults, path, value):
    """Return the settings with path set to value; a key holding dots is written between slashes (a/b.c/d)."""
    settings = copy.deepcopy(defaults)
    *parents, last = path.split("/") if "/" in path else path.split(".")
    target = settings
    for key in parents:
        target = target[key]
    target[last] = value
    return settings


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "settings_errors": settings_errors,
        "secret_ref_errors": secret_ref_errors,
    }


@pytest.mark.parametrize("role", ROLES)
def test_the_defaults_pass(role, defaults):
    assert settings_errors(defaults, role, _extra(role, defaults)) == []


# role, variable path, bad value, what the message must hold
CASES = [
    ("platform", "platform_namespace", "kube-system", "platform_namespace"),
    ("platform", "platform_wait_timeout", 0, "platform_wait_timeout"),
    ("platform", "platform_addon_mirror", "/nonexistent/mirror", "platform_addon_mirror"),
    ("platform", "platform_helm_post_renderer", "no-such-renderer", "platform_helm_post_renderer"),
    ("namespace", "namespace_limits.min.cpu", "8", "namespace_limits.min/"),
    ("namespace", "namespace_quota/requests.cpu", "ten", "namespace_quota.requests.cpu"),
    ("namespace", "namespace_name", "Bad_Name", "namespace_name"),
    ("namespace", "namespace_labels", {"pod-security.kubernetes.io/enforce": "not restricted"}, "namespace_labels"),
    ("platform", "platform_labels", {"app.kubernetes.io/part-of": "bot core"}, "platform_labels"),
    ("secrets", "secrets_binance_api_key", "YOUR_BINANCE_API_KEY", "secrets_binance_api_key"),
    ("secrets", "secrets_rust_api_key", 12345, "secrets_rust_api_key"),
    ("secrets", "secrets_generated_length", 16, "secrets_generated_length"),
    ("secrets", "secrets_mongodb_keyfile", "not base64!", "secrets_mongodb_keyfile"),
    ("secrets", "secrets_names.openai", "Bad_Name", "secrets_names.openai"),
    ("secrets", "secrets_names.openai", "binance-secrets", "secrets_names"),
    ("secrets", "secrets_rotate", ["rust-api-key"], "secrets_rotate"),
    ("secrets", "secrets_grafana_admin_secret", "Grafana Admin", "secrets_grafana_admin_secret"),
    ("secrets", "secrets_mongodb.database", "", "secrets_mongodb.database"),
    ("secrets", "secrets_namespace", "kube-system", "secrets_namespace"),
    ("dashboard", "platform_hosts.api", "bad host", "platform_hosts.api"),
    ("dashboard", "platform_hosts.websocket", "*.example.com", "platform_hosts.websocket"),
    ("ai_service", "ai_service_models_volume.size", "50GB", "ai_service_models_volume.size"),
    ("ai_service", "ai_service_models_volume.size", "0", "ai_service_models_volume.size"),
    ("ingress", "platform_hosts.dashboard", ["api.botcore.app"], "platform_hosts"),
    ("ingress", "ingress_namespace", "default", "ingress_namespace"),
    ("ingress", "ingress_gateway_request_timeout", "ten minutes", "ingress_gateway_request_timeout"),
    ("ingress", "ingress_tls_secret", "Bad_Secret", "ingress_tls_secret"),
    ("ingress", "ingress_websocket_tls_secret", "botcore-tls", "ingress_websocket_tls_secret"),
    ("ingress", "ingress_core_backend.port", 9999, "ingress_core_backend.port"),
    ("ingress", "ingress_dashboard_backend.service", "nothing", "ingress_dashboard_backend.service"),
    ("ingress", "ingress_api_path", "api", "ingress_api_path"),
    ("ingress", "ingress_websocket_path", "/api", "ingress_websocket_path"),
    ("ingress", "ingress_rate_limit.rps", -1, "ingress_rate_limit.rps"),
    ("ingress", "ingress_rate_limit.burst_multiplier", 0, "ingress_rate_limit.burst_multiplier"),
    ("ingress", "ingress_rate_limit.connections", -1, "ingress_rate_limit.connections"),
    ("ingress", "ingress_annotations.x-annotation", 5, "ingress_annotations.x-annotation"),
    ("service_mesh", "service_mesh_namespace", "kube-public", "service_mesh_namespace"),
    ("service_mesh", "service_mesh_service.name", "nothing", "service_mesh_service.name"),
    ("service_mesh", "service_mesh_api_route.prefix", "api", "service_mesh_api_route.prefix"),
    ("service_mesh", "service_mesh_websocket_prefix", "/api", "service_mesh_websocket_prefix"),
    ("service_mesh", "service_mesh_api_route.timeout", "thirty seconds", "service_mesh_api_route.timeout"),
    (
        "service_mesh",
        "service_mesh_api_route.retries.per_try_timeout",
        "1h",
        "service_mesh_api_route.retries.per_try_timeout",
    ),
    ("service_mesh", "service_mesh_api_route.retries.attempts", -1, "service_mesh_api_route.retries.attempts"),
    (
        "service_mesh",
        "service_mesh_api_route.retries.retry_on",
        "5xx, reset",
        "service_mesh_api_route.retries.retry_on",
    ),
    ("service_mesh", "service_mesh_connection_pool.max_connections", 0, "service_mesh_connection_pool.max_connections"),
    ("service_mesh", "service_mesh_outlier_detection.consecutive_5xx_errors", -1, "consecutive_5xx_errors"),
    ("service_mesh", "service_mesh_outlier_detection.max_ejection_percent", 101, "max_ejection_percent"),
    ("monitoring", "monitoring_namespace", "default", "monitoring_namespace"),
    ("monitoring", "monitoring_prometheus_release", "not a label", "monitoring_prometheus_release"),
    ("monitoring", "monitoring_labels", {"bad key!": "x"}, "monitoring_labels"),
    ("monitoring", "monitoring_scrape_tiers", [], "monitoring_scrape_tiers"),
    ("monitoring", "monitoring_scrape.port", "8080", "monitoring_scrape.port"),
    ("monitoring", "monitoring_scrape.path", "metrics", "monitoring_scrape.path"),
    ("monitoring", "monitoring_scrape.interval", "0s", "monitoring_scrape.interval"),
    ("monitoring", "monitoring_rule_interval", "half a minute", "monitoring_rule_interval"),
    (
        "monitoring",
        "monitoring_alerts",
        [{"alert": "Broken", "expr": "rate(x[5m]) >"}],
        "monitoring_alerts.Broken.expr",
    ),
    ("monitoring", "monitoring_alerts", [{"expr": "up == 0"}], "monitoring_alerts[0]"),
    (
        "monitoring",
        "monitoring_alerts",
        [{"alert": "Slow", "expr": "up == 0", "for": "5 min"}],
        "monitoring_alerts.Slow.for",
    ),
    (
        "monitoring",
        "monitoring_alerts",
        [{"alert": "N", "expr": "up == 0", "labels": {"severity": 3}}],
        "monitoring_alerts.N.labels.severity",
    ),
    ("istio", "istio_namespace", "Istio", "istio_namespace"),
    ("istio", "istio_chart_version", "", "istio_base_chart_ref"),
    ("cert_manager", "cert_manager_release_name", "Cert_Manager", "cert_manager_release_name"),
    ("cert_manager", "cert_manager_namespace", "kube-system", "cert_manager_namespace"),
    ("cert_manager", "cert_manager_acme_email", "nobody", "cert_manager_acme_email"),
    ("cert_manager", "cert_manager_acme_solver_ingress_class", "Nginx!", "cert_manager_acme_solver_ingress_class"),
    ("cert_manager", "cert_manager_acme_solver_gateway.namespace", "Bad", "cert_manager_acme_solver_gateway.namespace"),
    (
        "kube_prometheus_stack",
        "kube_prometheus_stack_grafana_admin_secret",
        "Grafana Admin",
        "kube_prometheus_stack_grafana_admin_secret",
    ),
    ("kube_prometheus_stack", "kube_prometheus_stack_chart_ref", "", "kube_prometheus_stack_chart_ref"),
    ("ingress_nginx", "ingress_nginx_namespace", "elsewhere", "ingress_nginx_namespace"),
    ("ingress_nginx", "ingress_nginx_release_name", "x" * 60, "ingress_nginx_release_name"),
]


@pytest.mark.parametrize(
    ("role", "path", "value", "expect"), CASES, ids=[f"{c[0]}:{c[1]}={c[2]!r}"[:80] for c in CASES]
)
def test_each_rule_fails_naming_its_variable(role, path, value, expect, defaults):
    settings = _with(defaults, path, value)
    errors = settings_errors(settings, role, _extra(role, defaults))
    assert errors and any(expect in error for error in errors), errors


def test_istio_refuses_a_local_gateway_api_source_that_matches_no_file(defaults, tmp_path):
    settings = _with(
        _with(defaults, "istio_gateway_api_crds_enabled", True), "istio_gateway_api_crds_src", "/nowhere/x.yaml"
    )
    assert any("istio_gateway_api_crds_src" in error for error in settings_errors(settings, "istio", "/nowhere/x.yaml"))
    (tmp_path / "standard-install.yaml").write_text("---\n")
    assert settings_errors(settings, "istio", str(tmp_path)) == []
    assert settings_errors(settings, "istio", str(tmp_path / "*.yaml")) == []


def test_an_unknown_role_or_missing_setting_is_a_filter_error(defaults):
    with pytest.raises(AnsibleFilterError, match="no rules"):
        settings_errors(defaults, "nothing")
    with pytest.raises(AnsibleFilterError, match="must be a dict"):
        settings_errors([], "ingress")
    with pytest.raises(AnsibleFilterError, match="ingress_api_path"):
        settings_errors(
            {k: v for k, v in defaults.items() if k != "ingress_api_path"}, "ingress", defaults["platform_services"]
        )


def test_mesh_durations_are_compared_in_milliseconds():
    assert mesh_duration_ms("30s") == 30_000
    assert mesh_duration_ms("1h") == 3_600_000
    assert mesh_duration_ms("1m30s") is None
    assert mesh_duration_ms(30) is None


def test_promql_errors():
    assert promql_errors('sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) > 0', "x") == []
    assert "not a valid PromQL" in promql_errors("sum(rate(x[5m])", "x")[0]
    assert promql_errors("  ", "x") == ["x: needs an expr"]


KEYS = [{"secret": "bot-core-secrets", "key": "database-url"}, {"secret": "binance-secrets", "key": "api-key"}]


def test_secret_refs_to_created_keys_pass():
    refs = {"core_engine_secret_env": [{"name": "BINANCE_API_KEY", "secret": "binance-secrets", "key": "api-key"}]}
    assert secret_ref_errors(refs, KEYS) == []


def test_a_secret_ref_to_a_missing_key_or_secret_fails_naming_the_variable():
    refs = {
        "core_engine_secret_env": [
            {"name": "BINANCE_API_KEY", "secret": "binance-secrets", "key": "apikey"},
            {"name": "X", "secret": "nothing", "key": "x"},
        ]
    }
    assert secret_ref_errors(refs, KEYS) == [
        "core_engine_secret_env.BINANCE_API_KEY: binance-secrets has no key 'apikey' (it holds api-key); "
        "the container would not start",
        "core_engine_secret_env.X: no Secret 'nothing' is created "
        "(secrets_names has binance-secrets, bot-core-secrets); the container would not start",
    ]
