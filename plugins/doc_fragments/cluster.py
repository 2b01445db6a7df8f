# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option every cluster module of the collection takes to name its cluster when the API cannot be reached."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  cluster:
    description:
      - The cluster's name for messages, e.g. the inventory host. When the API cannot be reached, the module fails
        naming it, the server URL and that a rerun continues where the run stopped.
    type: str
"""
