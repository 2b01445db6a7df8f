# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A filter that checks a container's resources against the namespace's LimitRange, as its admission plugin does."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.botcore.platform.plugins.module_utils.quantity import parse_quantity

# (LimitRange section, container section, whether the container's amount must be at most the bound).
_BOUNDS = (("max", "limits", True), ("max", "requests", True), ("min", "requests", False), ("min", "limits", False))


def _amount(value):
    try:
        return parse_quantity(value)
    except (TypeError, ValueError):
        return None


def limit_range_errors(resources, limits, varname, limits_varname="namespace_limits"):
    """Return why the LimitRange ``limits`` ({max, min, ...}) would refuse a container with ``resources``.

    Unparseable amounts are left to the checks of their own variables.
    """
    if not isinstance(resources, Mapping) or not isinstance(limits, Mapping):
        return []
    errors = []
    for bound, section, at_most in _BOUNDS:
        for resource, limit in (limits.get(bound) or {}).items():
            value = (resources.get(section) or {}).get(resource)
            amount, allowed = _amount(value), _amount(limit)
            if amount is None or allowed is None or (amount <= allowed if at_most else amount >= allowed):
                continue
            errors.append(
                f"{limits_varname}.{bound}.{resource}: {limit} is {'below' if at_most else 'above'} "
                f"{varname}.{section}.{resource} ({value}); the namespace's LimitRange would refuse these pods"
            )
    return errors


class FilterModule:
    def filters(self):
        return {"limit_range_errors": limit_range_errors}
