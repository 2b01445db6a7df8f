# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shows the progress of botcore.platform.apply's rollout wait (its documentation: plugins/modules/apply.py)."""

from __future__ import annotations

from ansible_collections.botcore.platform.plugins.module_utils.secret_data import split
from ansible_collections.botcore.platform.plugins.plugin_utils.progress import SlicedWaitAction


class ActionModule(SlicedWaitAction):
    def line_prefix(self, entry):
        return f"apply {entry['component']}" + (" rollback" if entry.get("rollback") else "")

    def module_args(self, args):
        """The Secrets' values moved to the no_log option secret_data (see the module)."""
        if not isinstance(args.get("components"), list):
            return args  # for the module's argument spec to refuse
        components, values = split(args["components"])
        return {**args, "components": components, "secret_data": values} if values else args
