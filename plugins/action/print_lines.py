# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print lines as they are: the documentation is plugins/modules/print_lines.py."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

ARGUMENT_SPEC = {
    "lines": {"type": "list", "elements": "str", "required": True},
    "title": {"type": "str", "default": ""},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        lines = ([args["title"]] if args["title"] else []) + args["lines"]
        # Display proxies a worker's output to the controller's, which prints it before the task's result.
        display.display("\n".join(lines))
        result.update(changed=False, lines=lines)
        return result
