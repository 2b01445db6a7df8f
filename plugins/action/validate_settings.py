# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks roles' settings and variable names on the controller (documented in plugins/modules/validate_settings.py).

The rules are plugins/filter/settings.py's. Each setting is read from the task's variables by name, in this one
worker: in Jinja the same check cost a chain of templated variables per role (the role's and the collection's option
names, their values, the variable names), recompiled in every task that read them. With `roles`, one task checks
every role as its validate entry point would, argument spec included: a task per role cost about 0.15 s each.
"""

from __future__ import annotations

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.botcore.platform.plugins.filter.inventory import (
    entry_point_options,
    option_names,
    unknown_option_errors,
)
from ansible_collections.botcore.platform.plugins.filter.settings import settings_errors
from ansible_collections.botcore.platform.plugins.plugin_utils.argument_specs import (
    ROLES,
    read,
    role_names,
    unknown_roles_message,
)
from ansible_collections.botcore.platform.plugins.plugin_utils.role_context import RoleContexts

ARGUMENT_SPEC = {
    "role": {"type": "str"},
    "roles": {"type": "list", "elements": "str"},
    "rules": {"type": "bool"},
    "extra": {"type": "raw"},
    "errors": {"type": "list", "elements": "str"},
    "known": {"type": "list", "elements": "str"},
}
TASK_INPUTS = ("rules", "extra", "errors", "known")
# What a role's rules read when neither the task nor the role's __<role>_validation says otherwise.
DEFAULT_INPUTS = {"rules": True, "extra": None, "errors": [], "known": [], "spec": {}}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            required_one_of=[("role", "roles")],
            mutually_exclusive=[("role", "roles")] + [("roles", name) for name in TASK_INPUTS],
        )[1]
        names = args["roles"] or [args["role"]]
        unknown = unknown_roles_message("role", names)
        if unknown:
            return dict(result, failed=True, msg=unknown)
        roles = role_names()
        if args["role"]:
            # The role's tasks run it: its argument spec has been checked, its variables are the task's.
            given = {name: args[name] for name in TASK_INPUTS if args[name] is not None}
            checks = [(args["role"], self._templar, self._inputs(args["role"], self._templar, given), None)]
        else:
            contexts = RoleContexts(self._templar, task_vars)
            templars = {name: contexts.templar(name) for name in names}
            checks = [(name, templars[name], self._inputs(name, templars[name], {}), "validate") for name in names]
        # Types and choices first, every role's: the rules may read any of them.
        errors = [
            message
            for role, templar, found, entry_point in checks
            for message in self._spec_errors(role, templar, entry_point, found["spec"])
        ]
        if not errors:
            errors = [
                message
                for role, templar, found, _entry_point in checks
                for message in self._rule_errors(role, templar, found, task_vars, roles)
            ]
        if errors:
            return dict(result, failed=True, msg="; ".join(errors), errors=errors)
        return dict(result, changed=False, errors=[])

    @staticmethod
    def _inputs(role, templar, given):
        """What the role's rules read: the task's options over the role's __<role>_validation over the defaults."""
        name = f"__{role}_validation"
        declared = templar.resolve_variable_expression(name) if name in templar.available_variables else {}
        return {**DEFAULT_INPUTS, **declared, **given}

    @staticmethod
    def _spec_errors(role, templar, entry_point, extra_spec):
        """The argument spec's messages: the entry point's (when the task checks it) and the role's extra options'."""
        spec = dict(entry_point_options(read(os.path.join(ROLES, role)), entry_point)) if entry_point else {}
        spec.update(extra_spec)
        if not spec:
            return []
        provided = {
            name: templar.resolve_variable_expression(name) for name in spec if name in templar.available_variables
        }
        outcome = ArgumentSpecValidator(spec).validate(provided, validate_role_argument_spec=True)
        return [f"{role}: {message}" for message in outcome.error_messages]

    @staticmethod
    def _rule_errors(role, templar, found, task_vars, roles):
        spec = read(os.path.join(ROLES, role))
        errors = list(found["errors"])
        if found["rules"]:
            # The rules read the role's options and the collection-wide settings, by name.
            names = sorted(set(option_names(spec)) | set(option_names(read(os.path.join(ROLES, "platform")))))
            settings = {name: templar.resolve_variable_expression(name) for name in names}
            errors += settings_errors(settings, role, found["extra"])
        prefixed = [name for name in task_vars if name.startswith(f"{role}_")]
        return errors + unknown_option_errors(prefixed, spec, role, roles, list(found["known"]) + list(found["spec"]))
