# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render application configuration and make rendered manifests safe to show."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible.module_utils.datatag import native_type_name

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
# TOML basic strings may not hold other control characters literally.
_CONTROL_RE = re.compile(r'["\\\x00-\x1f\x7f]')
_REDACTED_FIELDS = ("data", "stringData")


def _toml_string(text):
    return '"' + _CONTROL_RE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04X}"), text) + '"'


def _toml_key(key, path):
    if not isinstance(key, str):
        raise AnsibleFilterError(f"to_toml: {path}: key {key!r} must be a string")
    return key if _BARE_KEY_RE.fullmatch(key) else _toml_string(key)


def _toml_value(value, path):
    # bool before int: True is an int in Python but a distinct type in TOML.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(float(value))
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item, f"{path}[{index}]") for index, item in enumerate(value)) + "]"
    raise AnsibleFilterError(f"to_toml: {path}: {native_type_name(value)} values cannot be written as TOML")


def _toml_table(data, header, lines):
    """Append the keys of data as ``key = value`` lines, then its nested dicts as ``[dotted.header]`` tables."""
    tables = []
    for key, value in data.items():
        name = _toml_key(key, ".".join(header) or "data")
        if isinstance(value, Mapping):
            tables.append(([*header, name], value))
        else:
            lines.append(f"{name} = {_toml_value(value, '.'.join([*header, name]))}")
    for table_header, table in tables:
        if lines:
            lines.append("")
        lines.append(f"[{'.'.join(table_header)}]")
        _toml_table(table, table_header, lines)


def to_toml(data):
    """Return a dict rendered as a TOML document."""
    if not isinstance(data, Mapping):
        raise AnsibleFilterError(f"to_toml: expected a dict, got {native_type_name(data)}")
    lines = []
    _toml_table(data, [], lines)
    return "\n".join(lines) + "\n" if lines else ""


def _optional_dict(value, path):
    """Return a mutable copy of a dict that may be absent (None)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnsibleFilterError(f"redact_secrets: {path} must be a dict, got {native_type_name(value)}")
    return dict(value)


def _plain_copy(value):
    """Copy dicts and lists down to their leaves. Not copy.deepcopy: on Ansible's lazy containers that copies their
    whole templating context too (seconds per call on a platform's facts)."""
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain_copy(item) for item in value]
    return value


def redact_secrets(objects):
    """Return a deep copy of Kubernetes objects with every Secret value replaced by ``REDACTED``."""
    if isinstance(objects, str) or not isinstance(objects, Sequence):
        raise AnsibleFilterError(
            f"redact_secrets: expected a list of Kubernetes objects, got {native_type_name(objects)}"
        )
    redacted = []
    for index, item in enumerate(objects):
        # Values are left out of these messages: they may be the very secrets being hidden.
        if not isinstance(item, Mapping):
            raise AnsibleFilterError(f"redact_secrets: objects[{index}] must be a dict, got {native_type_name(item)}")
        item = _plain_copy(item)
        if item.get("kind") == "Secret":
            for field in _REDACTED_FIELDS:
                if item.get(field) is not None:
                    item[field] = dict.fromkeys(_optional_dict(item[field], f"objects[{index}].{field}"), "REDACTED")
            metadata = _optional_dict(item.get("metadata"), f"objects[{index}].metadata")
            annotations = _optional_dict(metadata.get("annotations"), f"objects[{index}].metadata.annotations")
            annotations["botcore.io/redacted"] = "true"
            metadata["annotations"] = annotations
            item["metadata"] = metadata
        redacted.append(item)
    return redacted


class FilterModule:
    def filters(self):
        return {
            "to_toml": to_toml,
            "redact_secrets": redact_secrets,
        }
