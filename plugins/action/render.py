# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renders components' objects on the controller into facts (documented in plugins/modules/render.py).

One task renders every component of a run: a set_fact task per component cost about 0.15 s each, most of it the task
rather than its templates.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader
from ansible_collections.botcore.platform.plugins.plugin_utils.argument_specs import unknown_roles_message
from ansible_collections.botcore.platform.plugins.plugin_utils.role_context import RoleContexts

ARGUMENT_SPEC = {"components": {"type": "list", "elements": "str", "required": True}}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        components = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]["components"]
        unknown = unknown_roles_message("components", components)
        if unknown:
            return dict(result, failed=True, msg=unknown)
        contexts = RoleContexts(self._templar, task_vars)
        facts = {f"__{name}_objects": self._objects(name, contexts.templar(name)) for name in components}
        return dict(result, changed=False, components=components, ansible_facts=facts)

    def _objects(self, role, templar):
        """The role's __<role>_manifests, else the objects of its templates __<role>_templates."""
        variables = templar.available_variables
        if f"__{role}_manifests" in variables:
            return templar.resolve_variable_expression(f"__{role}_manifests")
        if f"__{role}_templates" not in variables:
            raise AnsibleError(f"render: the role {role} declares neither __{role}_manifests nor __{role}_templates")
        manifests = lookup_loader.get("botcore.platform.manifests", loader=self._loader, templar=templar)
        return manifests.run(templar.resolve_variable_expression(f"__{role}_templates"), variables=variables)
