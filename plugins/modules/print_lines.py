#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin plugins/action/print_lines.py, which does the work on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: print_lines
short_description: Print text lines as they are, such as a table for a person to read
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Prints O(title) and O(lines) to the output of the run, one line each, as they are. M(ansible.builtin.debug)
    prints a list of lines as a JSON list of quoted strings, which breaks a table's columns.
  - Runs on the controller and changes nothing.
options:
  lines:
    description: The lines to print, e.g. the aligned rows of a table.
    type: list
    elements: str
    required: true
  title:
    description: A line printed before O(lines), e.g. the host or namespace the lines are about; empty prints none.
    type: str
    default: ""
attributes:
  check_mode:
    description: Prints the same lines in check mode.
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
- name: Print the status table
  botcore.platform.print_lines:
    title: "{{ inventory_hostname }}"
    lines: "{{ operations_status | botcore.platform.status_table }}"
"""

RETURN = r"""
lines:
  description: The lines printed, O(title) first when set.
  returned: always
  type: list
  elements: str
  sample: ["component  object", "mongodb    StatefulSet/mongodb"]
"""
