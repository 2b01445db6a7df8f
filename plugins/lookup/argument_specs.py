# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# validate-modules requires every import below DOCUMENTATION, EXAMPLES and RETURN.
# ruff: noqa: E402

from __future__ import annotations

DOCUMENTATION = r"""
name: argument_specs
short_description: Read a role's meta/argument_specs.yml, parsed once per process
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Returns the content of C(<role path>/meta/argument_specs.yml) for each role path given, as data.
  - The validation's variables refer to a role's specification many times in one task, and Ansible evaluates such a
    variable at each reference; this lookup parses each file once per process (with libyaml where PyYAML has it)
    instead of once per reference, and hands out copies.
options:
  _terms:
    description: The roles' directories.
    type: list
    elements: path
    required: true
"""

EXAMPLES = r"""
- name: The platform role's options
  ansible.builtin.debug:
    msg: "{{ lookup('botcore.platform.argument_specs', role_path ~ '/../platform') | botcore.platform.option_names }}"
"""

RETURN = r"""
_list:
  description: The parsed specification of each role, in order.
  type: list
  elements: dict
"""

from ansible.plugins.lookup import LookupBase
from ansible_collections.botcore.platform.plugins.plugin_utils.argument_specs import read


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [read(term) for term in terms]
