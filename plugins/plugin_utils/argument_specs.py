# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' meta/argument_specs.yml, parsed once per process, and the roles' names: for the lookup and the actions.

The validation refers to a role's specification many times in one task; parsing each file once per process (with
libyaml where PyYAML has it) instead of once per reference is what keeps it cheap. Copies are handed out.
"""

from __future__ import annotations

import copy
import os

import yaml
from ansible.errors import AnsibleError

# This collection's roles: plugins/plugin_utils/ is two levels below the collection's root.
ROLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))), "roles")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED = {}


def read(role_path):
    """The parsed meta/argument_specs.yml of the role at role_path, parsed on the first call for each file version."""
    path = os.path.join(os.path.realpath(role_path), "meta", "argument_specs.yml")
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError as exc:
        raise AnsibleError(f"argument_specs: {path} cannot be read: {exc.strerror}") from None
    if key not in _PARSED:
        with open(path, encoding="utf-8") as handle:
            _PARSED[key] = yaml.load(handle, Loader=_LOADER)
    return copy.deepcopy(_PARSED[key])


def role_names():
    """The names of this collection's roles."""
    return sorted(name for name in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, name)))


def unknown_roles_message(option, names):
    """Why the names given in a task's option are not all roles of this collection, or None when they are."""
    roles = role_names()
    unknown = [f"{option}: {name!r} is not a role of botcore.platform" for name in names if name not in roles]
    return f"{'; '.join(unknown)} ({', '.join(roles)})" if unknown else None
