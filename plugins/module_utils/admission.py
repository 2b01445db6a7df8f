# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the LimitRanger and ResourceQuota admission plugins make of a pod: its containers' requests and limits as
admitted (defaults filled in), the amounts a pod charges to a quota, and the LimitRange bounds it would break.

Shared by the scale check (plugins/filter/operations.py) and the preflight (module_utils/preflight.py). Bad
quantities raise ValueError naming where they were found.
"""

from __future__ import annotations

from decimal import Decimal

from ansible_collections.botcore.platform.plugins.module_utils.quantity import format_quantity, parse_quantity

RESOURCES = ("cpu", "memory")
SECTIONS = ("requests", "limits")


def quantity(value, what):
    """``value`` as a Decimal, or ValueError saying ``what`` it was."""
    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from exc


def show(key, amount):
    """An amount the way people write it: memory and storage in binary units, CPU in cores or millicores."""
    return format_quantity(amount, binary=key.endswith(("memory", "storage")))


def limit_defaults(limit_ranges):
    """The Container defaults of the LimitRanges, as the LimitRanger admission plugin fills them in."""
    defaults = {"requests": {}, "limits": {}}
    for limit_range in limit_ranges:
        for limit in (limit_range.get("spec") or {}).get("limits") or []:
            if limit.get("type") == "Container":
                defaults["limits"].update(limit.get("default") or {})
                defaults["requests"].update(limit.get("defaultRequest") or {})
    return defaults


def container_amounts(container, defaults):
    """A container's requests and limits as admitted: defaults filled in, a missing request taken from its limit."""
    resources = container.get("resources") or {}
    given = {section: dict(resources.get(section) or {}) for section in SECTIONS}
    amounts = {}
    for resource in RESOURCES:
        # API defaulting copies a given limit to a missing request before LimitRanger fills in its defaults.
        request = given["requests"].get(resource, given["limits"].get(resource, defaults["requests"].get(resource)))
        limit = given["limits"].get(resource, defaults["limits"].get(resource))
        for section, value in (("requests", request), ("limits", limit)):
            if value is not None:
                amounts[f"{section}.{resource}"] = quantity(
                    value, f"container {container.get('name')} {section}.{resource}"
                )
    return amounts


def pod_amounts(pod_spec, defaults):
    """What one pod charges to a quota: the sum over its containers, or its largest init container if larger.

    Returns the pod's amounts and each container's (containers first, then init containers).
    """
    per_container = [container_amounts(c, defaults) for c in pod_spec.get("containers") or []]
    per_init = [container_amounts(c, defaults) for c in pod_spec.get("initContainers") or []]
    keys = {key for amounts in per_container + per_init for key in amounts}
    pod = {"pods": Decimal(1)}
    for key in keys:
        total = sum((amounts.get(key, Decimal(0)) for amounts in per_container), Decimal(0))
        pod[key] = max([total] + [amounts.get(key, Decimal(0)) for amounts in per_init])
    return pod, per_container + per_init


def container_names(pod_spec):
    """The names of a pod's containers, in the order pod_amounts returns their amounts."""
    return [c.get("name") for c in (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or [])]


def limit_range_violations(pod, containers, names, limit_ranges):
    """Why the LimitRanger would reject the pod: each container and the pod against every Container and Pod limit's
    min, max and maxLimitRequestRatio. Returns sentences such as ``container api limits.cpu 4 is above LimitRange
    limits max 2``."""
    found = []
    for limit_range in limit_ranges:
        range_name = (limit_range.get("metadata") or {}).get("name", "")
        for limit in (limit_range.get("spec") or {}).get("limits") or []:
            if limit.get("type") == "Container":
                subjects = [(f"container {n}", amounts) for n, amounts in zip(names, containers, strict=True)]
            elif limit.get("type") == "Pod":
                subjects = [("the pod", pod)]
            else:
                continue
            for subject, amounts in subjects:
                for bound, keys in (("max", ("limits", "requests")), ("min", ("requests", "limits"))):
                    for resource, value in sorted((limit.get(bound) or {}).items()):
                        edge = quantity(value, f"LimitRange {range_name} {bound}.{resource}")
                        for section in keys:
                            amount = amounts.get(f"{section}.{resource}")
                            if amount is None or (amount <= edge if bound == "max" else amount >= edge):
                                continue
                            relation = "above" if bound == "max" else "below"
                            found.append(
                                f"{subject} {section}.{resource} {show(resource, amount)} is {relation} "
                                f"LimitRange {range_name} {bound} {value}"
                            )
                for resource, value in sorted((limit.get("maxLimitRequestRatio") or {}).items()):
                    ratio = quantity(value, f"LimitRange {range_name} maxLimitRequestRatio.{resource}")
                    request, limit_amount = amounts.get(f"requests.{resource}"), amounts.get(f"limits.{resource}")
                    if request and limit_amount and limit_amount / request > ratio:
                        found.append(
                            f"{subject} limits.{resource} {show(resource, limit_amount)} over requests.{resource} "
                            f"{show(resource, request)} is a ratio of {(limit_amount / request).normalize():f}, above "
                            f"LimitRange {range_name} maxLimitRequestRatio {value}"
                        )
    return found
