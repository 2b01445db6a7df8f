# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload building block: what the shared templates render, derived from a service role's data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_REQUIRED = ("role", "name", "namespace", "port", "tier", "image")
_ANTI_AFFINITY = ("preferred", "required")


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


class FilterModule:
    def filters(self):
        return {"workload": workload, "pod_scheduling": pod_scheduling}
