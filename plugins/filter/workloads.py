# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload building block: what the shared templates render, derived from a service role's data."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.images import image_errors
from ansible_collections.botcore.platform.plugins.filter.inventory import namespace_errors
from ansible_collections.botcore.platform.plugins.filter.resources import hpa_errors, replica_errors, resource_errors
from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_integer

_REQUIRED = ("role", "name", "namespace", "port", "tier", "image")
_ANTI_AFFINITY = ("preferred", "required")
# The options of the platform role's `workload` entry point that the building block takes under the same name.
_OPTIONS_AS_IS = (
    "namespace",
    "image",
    "replicas",
    "replicas_managed_by_hpa",
    "strategy",
    "progress_deadline_seconds",
    "env",
    "secret_env",
    "resources",
    "pre_stop_sleep_seconds",
    "termination_grace_period_seconds",
    "session_affinity",
    "hpa",
    "pdb_max_unavailable",
)
# What the API server accepts as an environment variable name (RelaxedEnvironmentVariableValidation, GA since 1.34).
_ENV_NAME_RE = re.compile(r"[\x20-\x3c\x3e-\x7e]+")


def _checksum(value):
    # As Ansible's to_json(sort_keys=true) | hash('sha256'), so a pod template does not change with the renderer.
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(", ", ": ")).encode()).hexdigest()


def pod_scheduling(name, anti_affinity="preferred", spread=True):
    """Return the pod spec's affinity and topology spread that keep replicas of app `name` on different nodes."""
    if anti_affinity not in _ANTI_AFFINITY:
        raise AnsibleFilterError(f"pod_scheduling: anti_affinity must be one of {', '.join(_ANTI_AFFINITY)}")
    term = {
        "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": [name]}]},
        "topologyKey": "kubernetes.io/hostname",
    }
    if anti_affinity == "required":
        affinity = {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
    else:
        affinity = {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]}
    scheduling = {"affinity": {"podAntiAffinity": affinity}}
    if spread:
        scheduling["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule" if anti_affinity == "required" else "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app": name}},
            }
        ]
    return scheduling


def workload(data, platform_labels, version, secret_checksums=None, image_pull_policy="IfNotPresent"):
    """Return the service role's data with what the building block derives from it and the platform's settings."""
    if not isinstance(data, Mapping):
        raise AnsibleFilterError(f"workload: the data must be a dict, got {data!r}")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise AnsibleFilterError(f"workload: the data of {data.get('role', '?')} lacks {', '.join(missing)}")
    role, name = data["role"], data["name"]
    selector = {"app": name}
    labels = {**platform_labels, **selector, "tier": data["tier"]}
    hpa = data.get("hpa") or {"enabled": False}
    # The pods roll when their config or a Secret they read changes (the secrets role publishes one checksum each).
    checksums = {}
    if data.get("config"):
        checksums["checksum/config"] = _checksum(data["config"]["data"])
    secret_names = sorted({ref["secret"] for ref in data.get("secret_env", [])})
    checksums["checksum/secrets"] = _checksum(
        {name: value for name, value in (secret_checksums or {}).items() if name in secret_names}
    )
    image = data["image"]
    # checkov findings that cannot pass here, each with its reason (checkov reads them from the annotations).
    skips = ["CKV_K8S_35=the spec passes Secrets as environment variables through secretKeyRef"]
    if not image.get("digest"):
        skips.append(f"CKV_K8S_43=the image is pinned by tag; set {role}_image.digest to pin it by digest")
        if image_pull_policy != "Always":
            skips.append(f"CKV_K8S_15=a pinned tag with platform_image_pull_policy {image_pull_policy} is reproducible")
    return {
        **data,
        "selector": selector,
        "labels": labels,
        "workload_labels": {**labels, "version": version},
        "hpa": hpa,
        # An HPA-managed Deployment leaves spec.replicas out: re-applies then never reset the scaled count.
        "hpa_owns_replicas": bool(hpa.get("enabled")) and bool(data.get("replicas_managed_by_hpa", True)),
        "checksums": checksums,
        "checkov_skips": skips,
        "scheduling": pod_scheduling(name, data.get("anti_affinity", "preferred"), data.get("spread", False)),
    }


def workload_options(options, role, services):
    """Return the building block's data from a service role's shared options (unprefixed) and the service registry.

    The role's own data (config, volumes, network peers, scheduling) is combined over this by the caller.
    """
    if role not in services:
        raise AnsibleFilterError(f"workload_options: {role} is not in the service registry (platform_services)")
    service = services[role]
    return {
        "role": role,
        "name": service["name"],
        "port": service["port"],
        "tier": service["tier"],
        **{key: options[key] for key in _OPTIONS_AS_IS},
        "probes": {kind: options[f"{kind}_probe"] for kind in ("startup", "liveness", "readiness")},
        "network_policy": {
            "enabled": options["network_policy_enabled"],
            "https_except": options["egress_https_except"],
        },
    }


def _whole(value):
    try:
        return parse_integer(value)
    except (TypeError, ValueError):
        return None


def workload_errors(data, production=False):
    """Return the problems with a service role's workload data, each naming the role's variable.

    What the argument spec enforces (types, choices) is not checked again; these are the rules it cannot express.
    """
    role = data["role"]
    errors = namespace_errors(data["namespace"], f"{role}_namespace")
    errors += resource_errors(data["resources"], f"{role}_resources")
    errors += hpa_errors(data["hpa"], f"{role}_hpa", data["replicas"], f"{role}_replicas")
    errors += replica_errors(data["pdb_max_unavailable"], f"{role}_pdb_max_unavailable")
    errors += image_errors(data["image"], f"{role}_image", production)
    deadline = _whole(data["progress_deadline_seconds"])
    if deadline is None or deadline < 1:
        errors.append(
            f"{role}_progress_deadline_seconds: must be a number of seconds of at least 1, "
            f"got {data['progress_deadline_seconds']}"
        )
    errors += [
        f"{role}_env.{name}: must be a string; quote it in YAML"
        for name, value in data["env"].items()
        if not isinstance(value, str)
    ]
    errors += [
        f"{role}_env: the name {name!r} is not an environment variable name (printable ASCII characters but '=', "
        "not empty); the API server would refuse the pods"
        for name in data["env"]
        if not _ENV_NAME_RE.fullmatch(str(name))
    ]
    sleep, grace = _whole(data["pre_stop_sleep_seconds"]), _whole(data["termination_grace_period_seconds"])
    if sleep is not None and grace is not None and sleep >= grace:
        errors.append(
            f"{role}_pre_stop_sleep_seconds: {sleep} s is not shorter than {role}_termination_grace_period_seconds "
            f"({grace} s); the kubelet would kill the pods before the preStop hook ends"
        )
    # The fewest pods the PDB guards: the HPA's minimum, or the fixed replica count.
    hpa = data["hpa"] if isinstance(data["hpa"], Mapping) else {}
    fewest = _whole(hpa.get("min_replicas") if hpa.get("enabled") else data["replicas"])
    unavailable = _whole(data["pdb_max_unavailable"])
    # One replica cannot be both protected and drained; the collection chooses the drain (see the PDB template).
    if fewest is not None and unavailable is not None and fewest > 1 and unavailable >= fewest:
        errors.append(
            f"{role}_pdb_max_unavailable: {unavailable} lets a disruption take all of the {fewest} pods at once; "
            f"the PodDisruptionBudget would protect nothing (use at most {fewest - 1})"
        )
    return errors


class FilterModule:
    def filters(self):
        return {
            "workload": workload,
            "workload_options": workload_options,
            "pod_scheduling": pod_scheduling,
            "workload_errors": workload_errors,
        }
