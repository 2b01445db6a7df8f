# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validation rules of the roles that are not workloads: each role's settings in, messages naming variables out.

Each role's validate.yml passes its settings (every option of its argument spec, plus the collection-wide
``platform_*`` settings) to ``settings_errors`` with its name; what the argument spec already enforces (types,
choices, required keys) is not checked again here.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.addons import chart_source_errors, helm_post_renderer_errors
from ansible_collections.botcore.platform.plugins.filter.inventory import namespace_errors
from ansible_collections.botcore.platform.plugins.filter.labels import label_errors
from ansible_collections.botcore.platform.plugins.filter.network import hostname_errors
from ansible_collections.botcore.platform.plugins.filter.resources import resource_errors
from ansible_collections.botcore.platform.plugins.filter.secret_values import external_key_errors
from ansible_collections.botcore.platform.plugins.filter.services import service_ref_errors
from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_quantity

try:
    import promql_parser

    HAS_PROMQL_PARSER = True
except ImportError:
    HAS_PROMQL_PARSER = False

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_PORT_NAME = re.compile(r"(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_QUANTITY = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?")
_STORAGE = re.compile(r"[0-9]+([.][0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?")
# ingress-nginx's strict path validation.
_NGINX_PATH = re.compile(r"/[A-Za-z0-9/_.-]*")
# The Gateway API's duration (GEP-2257), as the HTTPRoute CRD's pattern; empty leaves the timeout out.
_GATEWAY_DURATION = re.compile(r"(([0-9]{1,5}(h|m|s|ms)){1,4})?")
# Prometheus' duration, as the prometheus-operator CRDs check it.
_PROMETHEUS_DURATION = re.compile(r"0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?")
# Istio's durations here are a whole number and one unit, so that two can be compared.
_MESH_DURATION = re.compile(r"([1-9][0-9]*)(ms|s|m|h)")
_MESH_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_ENVOY_RETRY_ON = re.compile(r"[a-z0-9-]+(,[a-z0-9-]+)*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _get(settings, path):
    value = settings
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            raise AnsibleFilterError(f"settings_errors: the settings have no {path}")
        value = value[key]
    return value


def _matches(pattern, value):
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _pattern_errors(settings, paths, pattern, what):
    return [f"{path}: {_get(settings, path)!r} {what}" for path in paths if not _matches(pattern, _get(settings, path))]


def _at_least(settings, path, minimum, what):
    return [] if int(_get(settings, path)) >= minimum else [f"{path}: {what}"]


def _release_errors(settings, role):
    return _pattern_errors(
        settings,
        [f"{role}_release_name"],
        _RELEASE_NAME,
        "is not a Helm release name (a DNS label of at most 53 characters)",
    ) + namespace_errors(settings[f"{role}_namespace"], f"{role}_namespace")


def _chart_errors(settings, role, chart="chart_ref"):
    return chart_source_errors(
        settings[f"{role}_{chart}"],
        settings[f"{role}_chart_repo_url"],
        settings[f"{role}_chart_version"],
        settings["platform_addon_mirror"],
        f"{role}_{chart}",
    )


def mesh_duration_ms(value):
    """Return a mesh duration (a whole number and one unit: ms, s, m or h) in milliseconds; None if it is not one."""
    match = _MESH_DURATION.fullmatch(value) if isinstance(value, str) else None
    return int(match.group(1)) * _MESH_UNIT_MS[match.group(2)] if match else None


def promql_errors(expr, varname):
    """Return one message if expr is not a PromQL expression Prometheus would load."""
    if not HAS_PROMQL_PARSER:
        raise AnsibleFilterError("checking alert expressions needs the promql-parser Python package on the controller")
    if not isinstance(expr, str) or not expr.strip():
        return [f"{varname}: needs an expr"]
    try:
        promql_parser.parse(expr)
    except ValueError as error:
        return [f"{varname}: {expr!r} is not a valid PromQL expression ({str(error).splitlines()[0]})"]
    return []


def _platform(s):
    errors = namespace_errors(s["platform_namespace"], "platform_namespace")
    errors += (
        [] if int(s["platform_wait_timeout"]) > 0 else ["platform_wait_timeout: must be a positive number of seconds"]
    )
    mirror = s["platform_addon_mirror"]
    errors += [] if not mirror or os.path.isdir(mirror) else [f"platform_addon_mirror: {mirror} is not a directory"]
    errors += label_errors(s["platform_labels"], "platform_labels")
    return errors + helm_post_renderer_errors(s["platform_helm_post_renderer"], "platform_helm_post_renderer")


def _namespace(s):
    limits = s["namespace_limits"]
    # Each pair must be ordered as a container's requests and limits are: min <= default_request <= default, max.
    pairs = (("default_request", "default"), ("min", "max"), ("default_request", "max"), ("min", "default_request"))
    errors = []
    for low, high in pairs:
        errors += resource_errors({"requests": limits[low], "limits": limits[high]}, f"namespace_limits.{low}/{high}")
    errors += [
        f"namespace_quota.{key}: must be a non-negative Kubernetes quantity such as 10 or 80Gi"
        for key, value in s["namespace_quota"].items()
        if not _QUANTITY.fullmatch(str(value))
    ]
    errors += label_errors(s["namespace_labels"], "namespace_labels")
    return errors + namespace_errors(s["namespace_name"], "namespace_name")


def _dashboard(s):
    hosts = s["platform_hosts"]
    errors = []
    for key in ("dashboard", "api", "websocket"):
        errors += hostname_errors(hosts[key], f"platform_hosts.{key}")
    return errors + [
        f"platform_hosts.{key}: a wildcard cannot be a browser URL"
        for key in ("api", "websocket")
        if "*" in str(hosts[key])
    ]


def _ai_service(s):
    size = s["ai_service_models_volume"]["size"]
    if _STORAGE.fullmatch(str(size)) and parse_quantity(str(size)) > 0:
        return []
    return [f"ai_service_models_volume.size: {size} is not a positive storage quantity such as 50Gi"]


def _ingress(s, services):
    hosts = s["platform_hosts"]
    all_hosts = [*list(hosts["dashboard"]), hosts["api"], hosts["websocket"]]
    errors = []
    for key in ("dashboard", "api", "websocket"):
        errors += hostname_errors(hosts[key], f"platform_hosts.{key}")
    if len(set(all_hosts)) != len(all_hosts):
        errors.append(
            f"platform_hosts: the dashboard, api and websocket hosts must all differ, got {', '.join(all_hosts)}"
        )
    errors += namespace_errors(s["ingress_namespace"], "ingress_namespace")
    errors += namespace_errors(s["ingress_gateway_namespace"], "ingress_gateway_namespace")
    errors += _pattern_errors(
        s,
        ["ingress_gateway_request_timeout", "ingress_gateway_websocket_timeout"],
        _GATEWAY_DURATION,
        "must be empty or a Gateway API duration such as 600s, 1h or 0s (none)",
    )
    names = [
        "ingress_class_name",
        "ingress_tls_secret",
        "ingress_websocket_tls_secret",
        "ingress_gateway_name",
        "ingress_gateway_class_name",
    ] + (["ingress_cluster_issuer"] if s["ingress_cluster_issuer"] else [])
    errors += _pattern_errors(
        s, names, _DNS_SUBDOMAIN, "must be a DNS subdomain name (lowercase letters, digits, - and .)"
    )
    # cert-manager issues one certificate per Secret, and the Gateway pairs each Secret with its hosts.
    if (s["ingress_cluster_issuer"] or s["platform_ingress_provider"] == "gateway") and (
        s["ingress_tls_secret"] == s["ingress_websocket_tls_secret"]
    ):
        errors.append(
            "ingress_websocket_tls_secret: must differ from ingress_tls_secret, as cert-manager issues one "
            "certificate per Secret and the Gateway pairs each Secret with its hosts"
        )
    errors += service_ref_errors(s["ingress_dashboard_backend"], "ingress_dashboard_backend", services)
    errors += service_ref_errors(s["ingress_core_backend"], "ingress_core_backend", services)
    errors += _pattern_errors(
        s,
        ["ingress_api_path", "ingress_websocket_path"],
        _NGINX_PATH,
        "must start with / and hold only letters, digits, /, _, . and - (ingress-nginx strict path validation)",
    )
    if s["ingress_api_path"] == s["ingress_websocket_path"]:
        errors.append("ingress_websocket_path: must differ from ingress_api_path")
    errors += _at_least(s, "ingress_rate_limit.rps", 0, "must be 0 (off) or more requests per second")
    errors += _at_least(s, "ingress_rate_limit.burst_multiplier", 1, "must be at least 1")
    errors += _at_least(s, "ingress_rate_limit.connections", 0, "must be 0 (off) or more connections")
    for var in ("ingress_annotations", "ingress_websocket_annotations"):
        errors += [
            f"{var}.{key}: must be a string (quote numbers and booleans) or null"
            for key, value in s[var].items()
            if value is not None and not isinstance(value, str)
        ]
    return errors


def _service_mesh(s, services):
    route, outlier = s["service_mesh_api_route"], s["service_mesh_outlier_detection"]
    errors = namespace_errors(s["service_mesh_namespace"], "service_mesh_namespace")
    errors += service_ref_errors(s["service_mesh_service"], "service_mesh_service", services, "name")
    errors += [
        f"{path}: must start with /"
        for path in ("service_mesh_api_route.prefix", "service_mesh_websocket_prefix")
        if not str(_get(s, path)).startswith("/")
    ]
    if route["prefix"] == s["service_mesh_websocket_prefix"]:
        errors.append("service_mesh_websocket_prefix: must differ from service_mesh_api_route.prefix")
    durations = {
        path: mesh_duration_ms(_get(s, path))
        for path in (
            "service_mesh_api_route.timeout",
            "service_mesh_api_route.retries.per_try_timeout",
            "service_mesh_outlier_detection.interval",
            "service_mesh_outlier_detection.base_ejection_time",
        )
    }
    errors += [
        f"{path}: must be a positive whole number with one unit of ms, s, m or h, such as 30s"
        for path, value in durations.items()
        if value is None
    ]
    timeout, per_try = (
        durations["service_mesh_api_route.timeout"],
        durations["service_mesh_api_route.retries.per_try_timeout"],
    )
    if timeout is not None and per_try is not None and per_try > timeout:
        errors.append("service_mesh_api_route.retries.per_try_timeout: must not exceed service_mesh_api_route.timeout")
    errors += _at_least(s, "service_mesh_api_route.retries.attempts", 0, "must be 0 (no retries) or more")
    if not _matches(_ENVOY_RETRY_ON, route["retries"]["retry_on"]):
        errors.append(
            "service_mesh_api_route.retries.retry_on: must be a comma-separated list of Envoy retry conditions "
            "or status codes"
        )
    errors += [
        f"service_mesh_connection_pool.{key}: must be at least 1"
        for key, value in s["service_mesh_connection_pool"].items()
        if int(value) < 1
    ]
    errors += _at_least(s, "service_mesh_outlier_detection.consecutive_5xx_errors", 0, "must be 0 (off) or more")
    errors += [
        f"service_mesh_outlier_detection.{key}: must be between 0 and 100"
        for key in ("max_ejection_percent", "min_health_percent")
        if not 0 <= int(outlier[key]) <= 100
    ]
    return errors


def _prometheus_duration_errors(s, paths):
    return [
        f"{path}: must be a positive Prometheus duration such as 30s, 15m or 1h30m"
        for path in paths
        if not _matches(_PROMETHEUS_DURATION, _get(s, path)) or not re.search("[1-9]", _get(s, path))
    ]


def _monitoring(s):
    errors = namespace_errors(s["monitoring_namespace"], "monitoring_namespace")
    if not _matches(_LABEL_VALUE, s["monitoring_prometheus_release"]):
        errors.append(
            "monitoring_prometheus_release: must be a valid label value (at most 63 letters, digits, -, _ and .)"
        )
    errors += label_errors(s["monitoring_labels"], "monitoring_labels")
    if not s["monitoring_scrape_tiers"]:
        errors.append("monitoring_scrape_tiers: must name at least one tier")
    errors += [
        f"monitoring_scrape_tiers: {tier} is not a valid label value"
        for tier in s["monitoring_scrape_tiers"]
        if not _matches(_LABEL_VALUE, tier) or not tier
    ]
    if not _matches(_PORT_NAME, s["monitoring_scrape"]["port"]):
        errors.append(
            "monitoring_scrape.port: must be the name of a Service port (at most 15 lowercase letters, digits and -)"
        )
    if not str(s["monitoring_scrape"]["path"]).startswith("/"):
        errors.append("monitoring_scrape.path: must start with /")
    errors += _prometheus_duration_errors(
        s, ["monitoring_scrape.interval", "monitoring_rule_interval", "monitoring_crash_loop_window"]
    )
    for index, alert in enumerate(s["monitoring_alerts"]):
        name = alert.get("alert") or f"[{index}]"
        if not alert.get("alert"):
            errors.append(f"monitoring_alerts[{index}]: every alert needs a name")
        errors += promql_errors(alert.get("expr"), f"monitoring_alerts.{name}.expr")
        if "for" in alert and not _matches(_PROMETHEUS_DURATION, alert["for"]):
            errors.append(f"monitoring_alerts.{name}.for: must be a Prometheus duration such as 5m")
        errors += [
            f"monitoring_alerts.{name}.{part}.{key}: labels and annotations must be strings"
            for part in ("labels", "annotations")
            for key, value in (alert.get(part) or {}).items()
            if not isinstance(value, str)
        ]
    return errors


def secret_ref_errors(refs_by_var, keys):
    """Return one message per environment reference to a Secret key the secrets role does not create.

    refs_by_var maps a variable (core_engine_secret_env) to its references ({name, secret, key}); keys lists the
    {secret, key} pairs the secrets role writes.
    """
    known = {(key["secret"], key["key"]) for key in keys}
    secrets = sorted({secret for secret, _key in known})
    errors = []
    for var, refs in refs_by_var.items():
        for ref in refs or []:
            if (ref.get("secret"), ref.get("key")) in known:
                continue
            if ref.get("secret") not in secrets:
                where = f"no Secret {ref.get('secret')!r} is created (secrets_names has {', '.join(secrets)})"
            else:
                held = sorted(key for secret, key in known if secret == ref["secret"])
                where = f"{ref['secret']} has no key {ref.get('key')!r} (it holds {', '.join(held)})"
            errors.append(f"{var}.{ref.get('name')}: {where}; the container would not start")
    return errors


def _local_files(source):
    """Return the files a local release-file source stands for: a directory's *.yaml, else what the glob matches."""
    pattern = os.path.join(source, "*.yaml") if os.path.isdir(source) else source
    return sorted(glob.glob(pattern))


def _secrets(s, extra):
    """Messages name variables only, never their values."""
    keys, core = extra["keys"], s["secrets_names"]["core"]
    given = {key["var"]: s[key["var"]] for key in keys}
    errors = []
    # Render mode deploys nothing and redacts every value, so it needs no external key.
    if not s["platform_render_dir"]:
        external = {key["var"]: given[key["var"]] for key in keys if key.get("external")}
        errors += external_key_errors(external, s["platform_environment"], int(s["secrets_external_key_min_length"]))
    errors += [
        f"{var}: must be a string (quote it in YAML)" for var, value in given.items() if not isinstance(value, str)
    ]
    if int(s["secrets_generated_length"]) < 32:
        errors.append(f"secrets_generated_length: must be at least 32, got {s['secrets_generated_length']}")
    keyfile = re.sub(r"\s", "", str(s["secrets_mongodb_keyfile"] or ""))
    if keyfile and not re.fullmatch(r"[A-Za-z0-9+/=]{6,1024}", keyfile):
        errors.append(
            "secrets_mongodb_keyfile: must be 6 to 1024 base64 characters (letters, digits, +, / and =; "
            "whitespace is ignored)"
        )
    for key, name in s["secrets_names"].items():
        errors += hostname_errors(name, f"secrets_names.{key}")
    if len(set(s["secrets_names"].values())) != len(s["secrets_names"]):
        errors.append("secrets_names: every Secret needs its own name")
    errors += [
        f"secrets_rotate: the inventory provides this key through {key['var']}; change it there instead"
        for key in keys
        if key["secret"] == core and key["key"] in s["secrets_rotate"] and given[key["var"]]
    ]
    errors += hostname_errors(s["secrets_grafana_admin_secret"], "secrets_grafana_admin_secret")
    errors += hostname_errors(s["secrets_grafana_admin_namespace"], "secrets_grafana_admin_namespace")
    errors += [
        f"secrets_mongodb.{part}: must not be empty"
        for part in ("database", "replica_set", "auth_source")
        if not s["secrets_mongodb"].get(part)
    ]
    errors += namespace_errors(s["secrets_namespace"], "secrets_namespace")
    return errors + secret_ref_errors(extra["refs"], [*keys, {"secret": core, "key": "database-url"}])


def _istio(s, gateway_api_source):
    errors = namespace_errors(s["istio_namespace"], "istio_namespace")
    for chart in ("base_chart_ref", "istiod_chart_ref", "cni_chart_ref"):
        errors += _chart_errors(s, "istio", chart)
    source = gateway_api_source or ""
    if s["istio_gateway_api_crds_enabled"] and not re.match("https?://", source) and not _local_files(source):
        errors.append(
            f"istio_gateway_api_crds_src: no file matches {source} (a URL, or an absolute path to a file, "
            "glob or directory)"
        )
    return errors


def _cert_manager(s):
    errors = _release_errors(s, "cert_manager") + _chart_errors(s, "cert_manager")
    if (
        s["cert_manager_enabled"]
        and s["cert_manager_cluster_issuers_enabled"]
        and not _matches(_EMAIL, s["cert_manager_acme_email"])
    ):
        errors.append(
            f"cert_manager_acme_email: the ClusterIssuers need the ACME account e-mail address, got "
            f"{s['cert_manager_acme_email']!r}"
        )
    errors += _pattern_errors(
        s,
        [
            "cert_manager_acme_solver_ingress_class",
            "cert_manager_acme_solver_gateway.name",
            "cert_manager_acme_solver_gateway.section_name",
        ],
        _DNS_SUBDOMAIN,
        "is not a Kubernetes object name (a DNS subdomain)",
    )
    return errors + namespace_errors(
        s["cert_manager_acme_solver_gateway"]["namespace"], "cert_manager_acme_solver_gateway.namespace"
    )


def _kube_prometheus_stack(s):
    return (
        _release_errors(s, "kube_prometheus_stack")
        + _chart_errors(s, "kube_prometheus_stack")
        + _pattern_errors(s, ["kube_prometheus_stack_grafana_admin_secret"], _DNS_SUBDOMAIN, "is not a Secret name")
    )


def _ingress_nginx(s):
    errors = _release_errors(s, "ingress_nginx") + _chart_errors(s, "ingress_nginx")
    if s["platform_ingress_provider"] == "nginx" and s["ingress_nginx_namespace"] != s["platform_ingress_namespace"]:
        errors.append(
            f"ingress_nginx_namespace: {s['ingress_nginx_namespace']} must be platform_ingress_namespace "
            f"({s['platform_ingress_namespace']}), the namespace the platform admits its front door from"
        )
    return errors


_RULES = {
    "platform": lambda s, extra: _platform(s),
    "namespace": lambda s, extra: _namespace(s),
    # The engine's workload rules are the building block's (workload_errors); it has none of its own.
    "core_engine": lambda s, extra: [],
    "dashboard": lambda s, extra: _dashboard(s),
    "ai_service": lambda s, extra: _ai_service(s),
    "ingress": _ingress,
    "service_mesh": _service_mesh,
    "monitoring": lambda s, extra: _monitoring(s),
    "secrets": _secrets,
    "istio": _istio,
    "cert_manager": lambda s, extra: _cert_manager(s),
    "kube_prometheus_stack": lambda s, extra: _kube_prometheus_stack(s),
    "ingress_nginx": lambda s, extra: _ingress_nginx(s),
}


def settings_errors(settings, role, extra=None):
    """Return the messages of the role's rules on its settings; extra is what a rule needs beyond them.

    extra is the service registry for ingress and service_mesh, the Gateway API release file's source for istio, and
    for secrets its keys (secret, key, var, external) and the workloads' references to them (<component>_secret_env).
    """
    if role not in _RULES:
        raise AnsibleFilterError(f"settings_errors: no rules for the role {role!r}")
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError(f"settings_errors: the settings of {role} must be a dict, got {settings!r}")
    return _RULES[role](settings, extra)


class FilterModule:
    def filters(self):
        return {
            "settings_errors": settings_errors,
            "secret_ref_errors": secret_ref_errors,
        }
