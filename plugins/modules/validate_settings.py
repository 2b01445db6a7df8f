#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin plugins/action/validate_settings.py, which does the work on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_settings
short_description: Check a role's settings against its rules and its variable names, before any cluster is touched
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - The cross-field check of a role of this collection, after its argument spec has checked types and choices. Fails
    with one message per problem, each naming its variable, joined by C(; ).
  - With O(rules), reads every option of the role's C(main) entry point and every collection-wide setting (the
    platform role's options) from the task's variables and applies the role's rules (plugins/filter/settings.py).
  - Every variable whose name starts with the role's prefix (C(<role>_)) must be an option of one of the role's entry
    points or in O(known); a name that belongs to a role whose name extends this one's (C(ingress_nginx_) for
    C(ingress_)) is that role's. The message names the closest option.
  - A role may declare what its rules read in its variable C(__<role>_validation), a dict with any of O(rules),
    O(extra), O(errors), O(known) and C(spec), an argument spec of further options (the workload building block's,
    under the role's prefix) whose names are known too. The task's options take precedence.
  - Runs on the controller and changes nothing.
options:
  role:
    description:
      - The role whose settings are checked, a role of this collection, from the role's own tasks (its argument spec
        has been checked).
      - Exactly one of O(role) and O(roles).
    type: str
  roles:
    description:
      - Roles checked in one task, each as its C(validate) entry point would, argument spec included, with what its
        C(__<role>_validation) declares; the role's variables must be the play's (an import of the role gives them).
      - Every role's argument spec is checked before any rule, and every problem of every role is reported.
      - Excludes O(rules), O(extra), O(errors) and O(known).
    type: list
    elements: str
  rules:
    description:
      - Apply the role's rules of plugins/filter/settings.py to its settings (default V(true)).
      - Off for a role whose rules are a filter of their own, whose messages come in O(errors).
    type: bool
  extra:
    description:
      - What the role's rules read beyond its settings, such as the service registry for the ingress role.
    type: raw
  errors:
    description: Messages of the role's other rules, computed by the task, reported with the others.
    type: list
    elements: str
  known:
    description:
      - Variables with the role's prefix that are not options of its argument spec.
    type: list
    elements: str
attributes:
  check_mode:
    description: Checks the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff; it changes nothing.
    support: none
  platform:
    description: Runs on the controller.
    support: full
    platforms: all
"""

EXAMPLES = r"""
- name: Check the lock's settings
  botcore.platform.validate_settings:
    role: lock
    rules: false
    errors: "{{ [] if lock_wait_timeout | int >= 0 else ['lock_wait_timeout: must be 0 or more'] }}"

# Imports of the roles (for example tagged never, with rolespec_validate false) give the play their variables.
- name: Check every component's input
  botcore.platform.validate_settings:
    roles: [namespace, secrets, mongodb, ai_service, core_engine, dashboard, ingress, service_mesh, monitoring]
"""

RETURN = r"""
errors:
  description: The messages, one per problem; empty when the settings pass.
  returned: always
  type: list
  elements: str
  sample: ["namespace_quotaa: not an option of the namespace role; did you mean namespace_quota?"]
"""
