# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which components a run's --tags and --skip-tags select, for a task that does the work of one task per component."""

from __future__ import annotations

from collections.abc import Sequence


def tag_selected(components, run_tags, skip_tags):
    """Return the components that a task tagged with the component's name alone would run for.

    The rules are Ansible's own (ansible.playbook.taggable.Taggable.evaluate_tags) for a task whose only tag is the
    component: `all` (the default) and `tagged` select it, as does its name; `all`, `tagged` or its name among the
    skipped tags skips it.
    """
    for value, name in ((components, "components"), (run_tags, "run_tags"), (skip_tags, "skip_tags")):
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"tag_selected: {name} must be a list, got {value!r}")
    only, skipped = set(run_tags), set(skip_tags)
    return [
        component
        for component in components
        if (not only or only & {"all", "tagged", component}) and not skipped & {"all", "tagged", component}
    ]


class FilterModule:
    def filters(self):
        return {"tag_selected": tag_selected}
