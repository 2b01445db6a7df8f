# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values of the Secrets of botcore.platform.apply's components, carried apart from the objects.

The action plugin moves them out of ``components`` into ``secret_data``, an option marked ``no_log``: Ansible then
masks them in the module's log and result (its ``invocation`` too), so a run may hold Secrets beside objects whose
output must show, without a ``no_log`` task. The module puts them back before anything is sent. Ansible masks a
``no_log`` value wherever it appears: a Secret's ``data`` is base64, which nothing else prints; a plain value of
``stringData`` is masked in every other place it appears too.
"""

from __future__ import annotations

FIELDS = ("data", "stringData")


def _is_secret(item):
    return isinstance(item, dict) and item.get("kind") == "Secret"


def split(components):
    """(the components whose Secrets carry no values, those values by ``<component index>/<object index>``).

    What is not a list of objects is left as it is, for the module's argument spec to refuse."""
    stripped, values = [], {}
    for number, component in enumerate(components):
        if not isinstance(component, dict) or not isinstance(component.get("objects"), list):
            stripped.append(component)
            continue
        objects = []
        for index, item in enumerate(component["objects"]):
            if _is_secret(item) and any(field in item for field in FIELDS):
                values[f"{number}/{index}"] = {field: item[field] for field in FIELDS if field in item}
                item = {key: value for key, value in item.items() if key not in FIELDS}
            objects.append(item)
        stripped.append({**component, "objects": objects})
    return stripped, values


def join(components, values):
    """The components with the values of their Secrets put back (``values`` as split returns them); ValueError names
    the keys of values that match no Secret."""
    joined, left = [], dict(values)
    for number, component in enumerate(components):
        objects = []
        for index, item in enumerate(component["objects"]):
            if _is_secret(item) and f"{number}/{index}" in left:
                item = {**item, **left.pop(f"{number}/{index}")}
            objects.append(item)
        joined.append({**component, "objects": objects})
    if left:
        raise ValueError(f"secret_data: no Secret of components at {', '.join(sorted(left))}")
    return joined
