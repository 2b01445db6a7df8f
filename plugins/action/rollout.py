# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shows the progress of botcore.platform.rollout's wait (its documentation: plugins/modules/rollout.py)."""

from __future__ import annotations

from ansible_collections.botcore.platform.plugins.plugin_utils.progress import SlicedWaitAction


class ActionModule(SlicedWaitAction):
    def line_prefix(self, entry):
        return f"rollout {self._task.args.get('state') or 'status'}"
