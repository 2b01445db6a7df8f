# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables of a role of this collection as its own tasks see them, for an action that works for several roles.

An action that validates or renders every component in one task templates with each role's context: the role's own
search path first, and the platform role's building block serving it (__platform_subject). Its settings (every
`platform_` variable, every variable with the role's prefix, the service registry) are resolved once per action:
templated lazily, each would be compiled again at every reference, dozens of times per component.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible_collections.botcore.platform.plugins.plugin_utils.argument_specs import ROLES

# Read by every component: the service registry as deployed.
SHARED = ("__platform_services",)


class RoleContexts:
    def __init__(self, templar, task_vars):
        self._templar = templar
        self._variables = task_vars
        self._shared = None

    def templar(self, role):
        """A templar over the task's variables as the role's tasks see them, the role's settings resolved."""
        if self._shared is None:
            names = [name for name in self._variables if name.startswith("platform_")] + list(SHARED)
            self._shared = _resolved(self._templar, names)
        path = os.path.join(ROLES, role)
        variables = {
            **self._variables,
            **self._shared,
            "__platform_subject": role,
            "role_path": path,
            "ansible_search_path": [path, os.path.join(ROLES, "platform")],
        }
        own = _resolved(
            self._templar.copy_with_new_env(available_variables=variables),
            [name for name in self._variables if name.startswith(f"{role}_")],
        )
        return self._templar.copy_with_new_env(available_variables={**variables, **own})


def _resolved(templar, names):
    """The values of the names that resolve; one that does not (an undefined reference) is left to its use, where the
    error is reported as it would have been."""
    values = {}
    for name in names:
        if name not in templar.available_variables:
            continue
        try:
            values[name] = templar.resolve_variable_expression(name)
        except AnsibleError:
            continue
    return values
