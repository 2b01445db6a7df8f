# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that parse Kubernetes quantities and validate resources, replica counts and HPAs."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.module_utils.quantity import (
    SUFFIXES,
    parse_integer,
    parse_quantity,
)

_SECTIONS = ("requests", "limits")
_RESOURCES = ("cpu", "memory")
_HPA_REQUIRED = ("min_replicas", "max_replicas")
_HPA_OPTIONAL = ("cpu_utilization", "memory_utilization")
# The API server's bounds on an HPA's spec.behavior (autoscaling/v2 validation).
_HPA_DIRECTIONS = ("scaleUp", "scaleDown")
_HPA_POLICY_TYPES = ("Pods", "Percent")
_HPA_SELECT_POLICIES = ("Max", "Min", "Disabled")
_HPA_MAX_PERIOD = 1800
_HPA_MAX_WINDOW = 3600


def _integer(value, path, minimum, errors):
    """Return value as an int, or record why it is unusable and return None; minimum None checks the type only."""
    try:
        number = parse_integer(value)
    except ValueError as exc:
        errors.append(f"{path}: {exc}")
        return None
    if minimum is not None and number < minimum:
        errors.append(f"{path}: {number} must be at least {minimum}")
        return None
    return number


def _parse_resources(resources, varname, errors):
    """Return the per-pod amounts keyed like quota entries (``requests.cpu``), recording problems in errors."""
    if not isinstance(resources, Mapping):
        errors.append(f"{varname}: must be a dict with requests and limits, got {resources!r}")
        return {}
    amounts = {}
    for section in _SECTIONS:
        block = resources.get(section)
        if block is None:
            errors.append(f"{varname}.{section} is missing")
            continue
        if not isinstance(block, Mapping):
            errors.append(f"{varname}.{section}: must be a dict with cpu and memory, got {block!r}")
            continue
        for resource in _RESOURCES:
            path = f"{varname}.{section}.{resource}"
            if block.get(resource) is None:
                errors.append(f"{path} is missing")
                continue
            try:
                amount = parse_quantity(block[resource])
            except ValueError as exc:
                errors.append(f"{path}: {exc}")
                continue
            if amount <= 0:
                errors.append(f"{path}: {block[resource]!r} must be greater than zero")
                continue
            amounts[f"{section}.{resource}"] = amount
    for resource in _RESOURCES:
        request = amounts.get(f"requests.{resource}")
        limit = amounts.get(f"limits.{resource}")
        if request is not None and limit is not None and request > limit:
            errors.append(
                f"{varname}.requests.{resource} ({resources['requests'][resource]}) "
                f"exceeds limits.{resource} ({resources['limits'][resource]})"
            )
    return amounts


def k8s_quantity(value, unit=None):
    """Return a Kubernetes quantity as a float, in base units or in the given suffix's unit."""
    try:
        amount = parse_quantity(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"k8s_quantity: {exc}") from exc
    if unit is None:
        return float(amount)
    if unit not in SUFFIXES:
        raise AnsibleFilterError(f"k8s_quantity: unit {unit!r} is not one of {', '.join(SUFFIXES)}")
    return float(amount / SUFFIXES[unit])


def resource_errors(resources, varname):
    """Return the problems with a ``{requests: {cpu, memory}, limits: {cpu, memory}}`` dict."""
    errors = []
    _parse_resources(resources, varname, errors)
    return errors


def hpa_errors(hpa, varname, replicas=None, replicas_varname="replicas"):
    """Return the problems with an HPA settings dict and, if given, the fixed replica count beside it."""
    errors = []
    if replicas is not None:
        _integer(replicas, replicas_varname, 0, errors)
    if not isinstance(hpa, Mapping):
        errors.append(f"{varname}: must be a dict, got {hpa!r}")
        return errors
    enabled = hpa.get("enabled")
    if not isinstance(enabled, bool):
        errors.append(f"{varname}.enabled: must be true or false, got {enabled!r}")
    # A disabled HPA is never rendered, so its bounds only need to be well typed.
    active = enabled is True
    minimum = 1 if active else None
    bounds = {}
    for key in _HPA_REQUIRED + _HPA_OPTIONAL:
        path = f"{varname}.{key}"
        if hpa.get(key) is None:
            if active and key in _HPA_REQUIRED:
                errors.append(f"{path} is missing")
            continue
        bounds[key] = _integer(hpa[key], path, minimum, errors)
    low = bounds.get("min_replicas")
    high = bounds.get("max_replicas")
    if active and low is not None and high is not None and low > high:
        errors.append(f"{varname}.min_replicas ({low}) is above max_replicas ({high})")
    if active:
        errors += _behavior_errors(hpa.get("behavior"), f"{varname}.behavior")
    return errors


def _behavior_errors(behavior, varname):
    """Return the problems with an HPA's spec.behavior, as the API server validates it."""
    if not behavior:
        return []
    if not isinstance(behavior, Mapping):
        return [f"{varname}: must be a dict with scaleUp and/or scaleDown, got {behavior!r}"]
    errors = [f"{varname}.{key}: is not scaleUp or scaleDown" for key in behavior if key not in _HPA_DIRECTIONS]
    for direction in _HPA_DIRECTIONS:
        rules = behavior.get(direction)
        path = f"{varname}.{direction}"
        if rules is None:
            continue
        if not isinstance(rules, Mapping):
            errors.append(f"{path}: must be a dict, got {rules!r}")
            continue
        window = rules.get("stabilizationWindowSeconds")
        if window is not None:
            window = _integer(window, f"{path}.stabilizationWindowSeconds", 0, errors)
            if window is not None and window > _HPA_MAX_WINDOW:
                errors.append(f"{path}.stabilizationWindowSeconds: {window} must be at most {_HPA_MAX_WINDOW}")
        if rules.get("selectPolicy", "Max") not in _HPA_SELECT_POLICIES:
            errors.append(
                f"{path}.selectPolicy: {rules['selectPolicy']!r} is not one of {', '.join(_HPA_SELECT_POLICIES)}"
            )
        for index, policy in enumerate(rules.get("policies") or []):
            item = f"{path}.policies[{index}]"
            if not isinstance(policy, Mapping):
                errors.append(f"{item}: must be a dict with type, value and periodSeconds, got {policy!r}")
                continue
            if policy.get("type") not in _HPA_POLICY_TYPES:
                errors.append(f"{item}.type: {policy.get('type')!r} is not one of {', '.join(_HPA_POLICY_TYPES)}")
            _integer(policy.get("value"), f"{item}.value", 1, errors)
            period = _integer(policy.get("periodSeconds"), f"{item}.periodSeconds", 1, errors)
            if period is not None and period > _HPA_MAX_PERIOD:
                errors.append(f"{item}.periodSeconds: {period} must be at most {_HPA_MAX_PERIOD} (30 minutes)")
    return errors


def replica_errors(value, varname):
    """Return the problems with a replica count, which must be an integer of at least zero."""
    errors = []
    _integer(value, varname, 0, errors)
    return errors


class FilterModule:
    def filters(self):
        return {
            "k8s_quantity": k8s_quantity,
            "resource_errors": resource_errors,
            "hpa_errors": hpa_errors,
            "replica_errors": replica_errors,
        }
