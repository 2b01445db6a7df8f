# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the inventory as a whole: namespaces the platform may use, and variables no role knows."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

_LABEL_RE = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
# Kubernetes' own namespaces and the default one: the platform's quota, policies and Pod Security level there would
# govern what is not the platform's.
_RESERVED_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def namespace_errors(namespace, varname):
    """Return one message if namespace is not a DNS label or is a namespace the platform must not take over."""
    if not isinstance(namespace, str) or not _LABEL_RE.fullmatch(namespace):
        return [f"{varname}: {namespace!r} is not a valid namespace name (a DNS label)"]
    if namespace in _RESERVED_NAMESPACES:
        return [f"{varname}: {namespace!r} is reserved ({', '.join(_RESERVED_NAMESPACES)}); give the platform its own"]
    return []


def _options(argument_specs):
    if not isinstance(argument_specs, Mapping) or not isinstance(argument_specs.get("argument_specs"), Mapping):
        raise ValueError("not the content of a meta/argument_specs.yml")
    return {name for spec in argument_specs["argument_specs"].values() for name in (spec.get("options") or {})}


def entry_point_options(argument_specs, entry_point="main", prefix=""):
    """Return the options of one entry point of a role's argument spec, each name with prefix in front."""
    _options(argument_specs)
    spec = argument_specs["argument_specs"].get(entry_point)
    if not isinstance(spec, Mapping):
        raise ValueError(f"the argument spec has no entry point {entry_point}")
    return {f"{prefix}{name}": option for name, option in (spec.get("options") or {}).items()}


def option_names(argument_specs, entry_point="main"):
    """Return the sorted names of the options of one entry point of a role's argument spec."""
    return sorted(entry_point_options(argument_specs, entry_point))


def unknown_option_errors(varnames, argument_specs, role, other_roles=(), known=()):
    """Return one message per variable with the role's prefix that no entry point of its argument spec knows.

    A name that belongs to another role whose name extends this one's (ingress_nginx_ for ingress_) is not this role's.
    """
    if isinstance(varnames, str) or not isinstance(varnames, Sequence):
        return [f"{role}: the variable names must be a list, got {varnames!r}"]
    options = _options(argument_specs) | set(known)
    prefix = f"{role}_"
    others = tuple(f"{name}_" for name in other_roles if name != role and name.startswith(prefix))
    errors = []
    for name in sorted(set(varnames)):
        if not name.startswith(prefix) or name.startswith(others) or name in options:
            continue
        closest = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.6)
        hint = f"; did you mean {closest[0]}?" if closest else "; the role's options are listed in its argument spec"
        errors.append(f"{name}: not an option of the {role} role{hint}")
    return errors


class FilterModule:
    def filters(self):
        return {
            "entry_point_options": entry_point_options,
            "namespace_errors": namespace_errors,
            "option_names": option_names,
            "unknown_option_errors": unknown_option_errors,
        }
