# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the day-2 operations: whether a scale fits the namespace's quota and limits, and the status table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.module_utils.admission import (
    container_names,
    limit_defaults,
    limit_range_violations,
    pod_amounts,
    show,
)
from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_integer, parse_quantity

# ResourceQuota keys that count per pod, and the key of the per-pod amount each one charges.
_QUOTA_KEYS = {
    "pods": "pods",
    "count/pods": "pods",
    "cpu": "requests.cpu",
    "memory": "requests.memory",
    "requests.cpu": "requests.cpu",
    "requests.memory": "requests.memory",
    "limits.cpu": "limits.cpu",
    "limits.memory": "limits.memory",
}
_STATUS_COLUMNS = (
    "COMPONENT",
    "WORKLOAD",
    "READY",
    "UPDATED",
    "REVISION",
    "IMAGE",
    "HPA cur/min/max",
    "PVC",
    "ROLLOUT",
)


def _mapping(value, what):
    if not isinstance(value, Mapping):
        raise AnsibleFilterError(f"{what} must be a dict, got {value!r}")
    return value


def _list(value, what):
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        raise AnsibleFilterError(f"{what} must be a list, got {value!r}")
    return value


def _quantity(value, what):
    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"{what}: {exc}") from exc


def scale_errors(workload, replicas, quotas, limit_ranges, varname):
    """Return why ``replicas`` replicas of a live Deployment or StatefulSet would not fit the namespace.

    The quota check adds the new pods to what each ResourceQuota reports as used now (which holds the workload's
    current pods); the LimitRange check compares each container and the pod with the minimum and maximum.
    Scaling down, or to the current count, needs nothing new and is never refused.
    """
    workload = _mapping(workload, "scale_errors: the workload")
    quotas = _list(quotas, "scale_errors: quotas")
    limit_ranges = _list(limit_ranges, "scale_errors: limit_ranges")
    try:
        target = parse_integer(replicas)
    except ValueError as exc:
        raise AnsibleFilterError(f"scale_errors: {varname}: {exc}") from exc
    if target < 0:
        return [f"{varname}: {target} must be at least 0"]
    spec = workload.get("spec") or {}
    label = f"{workload.get('kind', 'workload')} {(workload.get('metadata') or {}).get('name', '')}"
    current = spec.get("replicas", 1)
    added = target - current
    if added <= 0:
        return []
    pod_spec = ((spec.get("template") or {}).get("spec")) or {}
    try:
        pod, containers = pod_amounts(pod_spec, limit_defaults(limit_ranges))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    errors = []
    for quota in quotas:
        name = (quota.get("metadata") or {}).get("name", "")
        hard = (quota.get("spec") or {}).get("hard") or {}
        used = (quota.get("status") or {}).get("used") or {}
        for key, allowed in sorted(hard.items()):
            charge = _QUOTA_KEYS.get(key)
            if charge is None or charge not in pod:
                continue
            allowed_amount = _quantity(allowed, f"ResourceQuota {name} {key}")
            used_amount = _quantity(used.get(key, 0), f"ResourceQuota {name} used {key}")
            needed = used_amount + added * pod[charge]
            if needed > allowed_amount:
                errors.append(
                    f"{varname}: {target} replicas of {label} (now {current}) need {show(key, needed)} {key} in the "
                    f"namespace ({show(key, used_amount)} used now + {added} x {show(key, pod[charge])} a pod) "
                    f"but ResourceQuota {name} allows {allowed}"
                )
    errors.extend(_limit_range_errors(pod, containers, pod_spec, limit_ranges, label, varname))
    return errors


def _limit_range_errors(pod, containers, pod_spec, limit_ranges, label, varname):
    """Containers and pods outside a LimitRange's bounds would be rejected when the new pods are created."""
    try:
        found = limit_range_violations(pod, containers, container_names(pod_spec), limit_ranges)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc
    return [f"{varname}: new pods of {label} would be rejected: {sentence}" for sentence in found]


def _conditions(obj):
    conditions = (obj.get("status") or {}).get("conditions") or []
    progressing = next((c for c in conditions if c.get("type") == "Progressing"), None)
    if progressing is None:
        return ""
    return f"Progressing={progressing.get('status')} {progressing.get('reason', '')}".strip()


def _claims(obj, claims_by_name):
    """The claims of a workload: its pod volumes' claims and, for a StatefulSet, one per template and ordinal."""
    spec = obj.get("spec") or {}
    names = [
        volume["persistentVolumeClaim"]["claimName"]
        for volume in ((spec.get("template") or {}).get("spec") or {}).get("volumes") or []
        if "persistentVolumeClaim" in volume
    ]
    for template in spec.get("volumeClaimTemplates") or []:
        names += [
            f"{template['metadata']['name']}-{obj['metadata']['name']}-{i}" for i in range(spec.get("replicas", 1))
        ]
    rows = []
    for name in names:
        claim = claims_by_name.get(name)
        status = (claim or {}).get("status") or {}
        rows.append(
            {
                "name": name,
                "phase": status.get("phase", "Pending") if claim else "Missing",
                "capacity": (status.get("capacity") or {}).get("storage", ""),
            }
        )
    return rows


def status_rows(rollouts, workloads, objects, hpas, claims):
    """One row per component: its rollout (the rollout module's report), HPA and claims, from live objects."""
    rollouts = _mapping(rollouts, "status_rows: the rollouts")
    workloads = _mapping(workloads, "status_rows: workloads")
    by_kind = {(o.get("kind"), o["metadata"]["name"]): o for o in _list(objects, "status_rows: objects")}
    hpas_by_target = {
        (h["spec"]["scaleTargetRef"].get("kind"), h["spec"]["scaleTargetRef"].get("name")): h
        for h in _list(hpas, "status_rows: hpas")
    }
    claims_by_name = {c["metadata"]["name"]: c for c in _list(claims, "status_rows: claims")}
    rows = []
    for component, rollout in rollouts.items():
        if component not in workloads:
            raise AnsibleFilterError(f"status_rows: {component} is not in the workloads ({', '.join(workloads)})")
        rollout = _mapping(rollout, f"status_rows: the rollout of {component}")
        key = (rollout["kind"], rollout["name"])
        obj = by_kind.get(key, {"metadata": {"name": rollout["name"]}})
        hpa = hpas_by_target.get(key)
        row = {
            "component": component,
            "kind": rollout["kind"],
            "name": rollout["name"],
            "desired": rollout["replicas"]["desired"],
            "ready": rollout["replicas"]["ready"],
            "updated": rollout["replicas"]["updated"],
            "available": rollout["replicas"]["available"],
            "images": sorted(set(rollout["images"].values())),
            "revision": rollout["revision"],
            "complete": rollout["complete"],
            "rollout": rollout["message"],
            "condition": _conditions(obj),
            "hpa": None,
            "claims": _claims(obj, claims_by_name) if "spec" in obj else [],
        }
        if hpa is not None:
            row["hpa"] = {
                "name": hpa["metadata"]["name"],
                "current": (hpa.get("status") or {}).get("currentReplicas", 0),
                "desired": (hpa.get("status") or {}).get("desiredReplicas", 0),
                "min": hpa["spec"].get("minReplicas", 1),
                "max": hpa["spec"]["maxReplicas"],
            }
        rows.append(row)
    return rows


def status_table(rows):
    """The rows of status_rows as aligned text lines, a header first."""
    table = [_STATUS_COLUMNS]
    for row in _list(rows, "status_table: rows"):
        row = _mapping(row, "status_table: a row")
        hpa = row.get("hpa")
        claims = row.get("claims") or []
        rollout = row["rollout"] + (f" ({row['condition']})" if row.get("condition") else "")
        table.append(
            (
                row["component"],
                f"{row['kind']}/{row['name']}",
                f"{row['ready']}/{row['desired']}",
                str(row["updated"]),
                str(row["revision"]),
                ", ".join(row["images"]),
                f"{hpa['current']}/{hpa['min']}/{hpa['max']}" if hpa else "-",
                ", ".join(f"{c['name']} {c['phase']}" for c in claims) or "-",
                rollout,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(_STATUS_COLUMNS))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]


class FilterModule:
    def filters(self):
        return {
            "scale_errors": scale_errors,
            "status_rows": status_rows,
            "status_table": status_table,
        }
