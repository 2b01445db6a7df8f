#!/usr/bin/python
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the action plugin plugins/action/render.py, which does the work on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: render
short_description: Render components' Kubernetes objects on the controller into facts
version_added: 0.1.0
author:
  - Bot Core platform team (@botcore)
description:
  - Renders the objects of each component, a role of this collection, into the fact C(__<role>_objects), which its
    deploy entry point applies and the preflight, the drift report and site.yml read.
  - A component's objects are its role's variable C(__<role>_manifests) (the workload building block's for a service
    role), else the objects of its templates C(__<role>_templates), found first in the role's own templates folder,
    rendered as the C(botcore.platform.manifests) lookup renders them.
  - Each component is rendered as its role's own task would render it, whatever role the task belongs to; the role's
    variables must be the play's (an import of the role gives them).
  - Runs on the controller, reads no cluster and changes nothing.
options:
  components:
    description: The roles whose objects are rendered, in order.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    description: Renders the same in check mode.
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
- name: Render every component that --tags selects
  botcore.platform.render:
    components: >-
      {{ ['namespace', 'mongodb', 'core_engine'] | botcore.platform.tag_selected(ansible_run_tags, ansible_skip_tags) }}
"""

RETURN = r"""
components:
  description: The components rendered, in order.
  returned: always
  type: list
  elements: str
  sample: [namespace, mongodb]
ansible_facts:
  description: The objects of each component, as C(__<role>_objects).
  returned: always
  type: dict
  sample: {__namespace_objects: [{apiVersion: v1, kind: Namespace, metadata: {name: bot-core}}]}
"""
