# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A filter that checks Kubernetes labels as the API server validates them."""

from __future__ import annotations

import re
from collections.abc import Mapping

# A label value, and a key's name part: at most 63 characters, alphanumeric at both ends, '-', '_' and '.' inside.
_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
# A key's optional prefix: a DNS subdomain of at most 253 characters.
_PREFIX_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_RULE = "at most 63 characters, letters, digits, '-', '_' and '.', starting and ending with a letter or digit"


def _key_problem(key):
    if not isinstance(key, str):
        return f"the key {key!r} is not a string"
    prefix, slash, name = key.rpartition("/")
    if slash and not (len(prefix) <= 253 and _PREFIX_RE.fullmatch(prefix)):
        return f"the key {key!r} has a prefix that is not a DNS subdomain"
    if not _NAME_RE.fullmatch(name):
        return f"the key {key!r} is not a label name ({_RULE})"
    return None


def label_errors(labels, varname):
    """Return why the API server would refuse these labels, each message naming ``varname.<key>``."""
    if not isinstance(labels, Mapping):
        return [f"{varname}: must be a dict of label keys to values, got {labels!r}"]
    errors = []
    for key, value in labels.items():
        problem = _key_problem(key)
        if problem:
            errors.append(f"{varname}: {problem}")
        elif not isinstance(value, str):
            errors.append(f"{varname}.{key}: must be a string, got {value!r}; quote it in YAML")
        elif value and not _NAME_RE.fullmatch(value):
            errors.append(f"{varname}.{key}: {value!r} is not a label value (empty, or {_RULE})")
    return errors


class FilterModule:
    def filters(self):
        return {"label_errors": label_errors}
