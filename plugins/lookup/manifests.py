# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: manifests
short_description: Render Kubernetes manifest templates into a list of objects
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Renders each template as C(ansible.builtin.template) does (the role's C(templates) search path, the task's
    variables plus O(template_vars)), parses the result as YAML and returns the objects, in order.
  - A template that renders to nothing (a disabled object) gives no object; one that renders a YAML list gives each
    of its items.
  - Unlike C(query('ansible.builtin.template') | map('from_yaml')), the task's variables are not deep-copied for
    each template; on a platform's facts that copy costs about half a second per template.
options:
  _terms:
    description: The template files, found as C(ansible.builtin.template) finds them.
    type: list
    elements: path
    required: true
  template_vars:
    description: Variables the templates see beside the task's, taking precedence over them.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Render a role's objects into a fact
  ansible.builtin.set_fact:
    __example_objects: "{{ query('botcore.platform.manifests', 'deployment.yaml.j2', 'service.yaml.j2') }}"

- name: With variables of its own
  ansible.builtin.set_fact:
    __example_objects: "{{ query('botcore.platform.manifests', 'secret.yaml.j2', template_vars={'name': 'db'}) }}"
"""

RETURN = r"""
_list:
  description: The Kubernetes objects the templates render, in order.
  type: list
  elements: dict
"""

import os
from collections import ChainMap

from ansible.errors import AnsibleError
from ansible.plugins.filter.core import from_yaml
from ansible.plugins.lookup import LookupBase
from ansible.template import trust_as_template


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        template_vars = kwargs.pop("template_vars", None) or {}
        if kwargs:
            raise AnsibleError(f"manifests: unknown options {', '.join(sorted(kwargs))}; it takes template_vars")
        variables = variables or {}
        objects = []
        for term in terms:
            path = self.find_file_in_search_path(variables, "templates", term)
            if not path:
                raise AnsibleError(f"manifests: the template {term} could not be found")
            # Jinja's includes search the templates folder of each search path, as ansible.builtin.template's do.
            searchpath = [os.path.dirname(path)]
            for directory in variables.get("ansible_search_path", []):
                searchpath += [os.path.join(directory, "templates"), directory]
            # A layer of its own over the task's variables, instead of a deep copy of them.
            templar = self._templar.copy_with_new_env(
                available_variables=ChainMap(dict(template_vars), variables), searchpath=searchpath
            )
            # The options ansible.builtin.template's lookup renders with: trim_blocks, backslashes as written.
            text = templar.template(
                trust_as_template(self._loader.get_text_file_contents(path)),
                escape_backslashes=False,
                overrides={"trim_blocks": True},
            )
            rendered = from_yaml(text)
            if isinstance(rendered, list):
                objects.extend(item for item in rendered if item)
            elif rendered:
                objects.append(rendered)
        return objects
