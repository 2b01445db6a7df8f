# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks a role's settings and variable names on the controller (documented in plugins/modules/validate_settings.py).

The rules are plugins/filter/settings.py's. Each setting is read from the task's variables by name, in this one
worker: in Jinja the same check cost a chain of templated variables per role (the role's and the collection's option
names, their values, the variable names), recompiled in every task that read them.
"""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase
from ansible_collections.botcore.platform.plugins.filter.inventory import option_names, unknown_option_errors
from ansible_collections.botcore.platform.plugins.filter.settings import settings_errors
from ansible_collections.botcore.platform.plugins.plugin_utils.argument_specs import ROLES, read, role_names

ARGUMENT_SPEC = {
    "role": {"type": "str", "required": True},
    "rules": {"type": "bool", "default": True},
    "extra": {"type": "raw"},
    "errors": {"type": "list", "elements": "str", "default": []},
    "known": {"type": "list", "elements": "str", "default": []},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        role = args["role"]
        roles = role_names()
        if role not in roles:
            message = f"role: {role!r} is not a role of botcore.platform ({', '.join(roles)})"
            return dict(result, failed=True, msg=message)
        spec = read(os.path.join(ROLES, role))
        errors = list(args["errors"])
        if args["rules"]:
            # The rules read the role's options and the collection-wide settings, by name.
            names = sorted(set(option_names(spec)) | set(option_names(read(os.path.join(ROLES, "platform")))))
            settings = {name: self._templar.resolve_variable_expression(name) for name in names}
            errors += settings_errors(settings, role, args["extra"])
        prefixed = [name for name in task_vars if name.startswith(f"{role}_")]
        errors += unknown_option_errors(prefixed, spec, role, roles, args["known"])
        if errors:
            return dict(result, failed=True, msg="; ".join(errors), errors=errors)
        return dict(result, changed=False, errors=[])
