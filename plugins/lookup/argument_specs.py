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

import copy
import os

import yaml
from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

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


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [read(term) for term in terms]
