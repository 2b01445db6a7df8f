# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's most important rule: which value each key of the platform's Secrets gets on this run."""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

_ALPHABET = string.ascii_letters + string.digits

# Where a key's value comes from on this run, in the order of precedence.
PROVIDED = "provided"
ROTATED = "rotated"
KEPT = "kept"
GENERATED = "generated"

# Values that stand for an external key without being one: the spec's (YOUR_BINANCE_API_KEY, ..._HERE), the usual
# changeme, and the placeholders this collection generates outside production (<environment>-placeholder-...).
_PLACEHOLDER = re.compile(r"^your[_-]|change[_-]?me|_here$|placeholder|^example|^dummy", re.IGNORECASE)


def _kept(existing, secret, key):
    data = (existing.get(secret) or {}).get(key) or ""
    try:
        return base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        # The message names the key only: the value may be a secret.
        raise AnsibleFilterError(f"secret_values: {secret}/{key} in the cluster is not base64 text") from exc


def _check(keys, provided, existing):
    if isinstance(keys, (str, Mapping)) or not isinstance(keys, Sequence):
        raise AnsibleFilterError("secret_values: keys must be a list of {secret, key, var} dicts")
    if not isinstance(provided, Mapping) or not isinstance(existing, Mapping):
        raise AnsibleFilterError("secret_values: provided and existing must be dicts")


def _source(entry, provided, existing, rotate, rotate_secret):
    secret, key = entry["secret"], entry["key"]
    if provided.get(entry["var"]):
        return PROVIDED
    if secret == rotate_secret and key in rotate:
        return ROTATED
    return KEPT if (existing.get(secret) or {}).get(key) else GENERATED


def secret_values(keys, provided, existing, rotate=(), rotate_secret="", length=48, placeholder="", stand_in=None):
    """Return Secret name -> key -> value for every key.

    A value provided (Ansible Vault in the inventory) wins; else the cluster's value (base64 data of the Secret found
    there) is kept, unless the key is being rotated (keys of rotate_secret named in rotate); else a new random value is
    generated: letters and digits, entry length or length characters, external keys prefixed with placeholder. With
    stand_in set (render mode) nothing is generated and the stand-in is used instead.
    """
    _check(keys, provided, existing)
    values = {}
    for entry in keys:
        secret, key = entry["secret"], entry["key"]
        source = _source(entry, provided, existing, rotate, rotate_secret)
        if source == PROVIDED:
            value = provided[entry["var"]]
        elif source == KEPT:
            value = _kept(existing, secret, key)
        elif stand_in is not None:
            value = stand_in
        else:
            size = int(entry.get("length") or length)
            prefix = placeholder if entry.get("external") else ""
            value = prefix + "".join(secrets.choice(_ALPHABET) for _index in range(size))
        values.setdefault(secret, {})[key] = value
    return values


def secret_writes(values, keys, provided, existing, rotate=(), rotate_secret="", namespaces=None, namespace=""):
    """What botcore.platform.generated_secrets writes of secret_values' result: per Secret with any, the generated
    values (create, written only where the key does not exist) and the rotated ones (replace). Provided and kept
    values are left to the apply. ``namespaces`` maps a Secret outside ``namespace`` to its own."""
    _check(keys, provided, existing)
    writes = {}
    for entry in keys:
        source = _source(entry, provided, existing, rotate, rotate_secret)
        if source in (GENERATED, ROTATED):
            secret = entry["secret"]
            item = writes.setdefault(
                secret,
                {"name": secret, "namespace": (namespaces or {}).get(secret, namespace), "create": {}, "replace": {}},
            )
            item["create" if source == GENERATED else "replace"][entry["key"]] = values[secret][entry["key"]]
    return list(writes.values())


def external_key_errors(given, environment, minimum=16):
    """Messages for the external keys (variable -> value) that production cannot run with: missing, blank or
    whitespace, a placeholder, containing whitespace, or shorter than ``minimum``. Only the variable is named, never
    the value. Other environments take placeholders and need nothing."""
    if environment != "production":
        return []
    errors = []
    for var, value in given.items():
        if not isinstance(value, str) or not value.strip():
            problem = "required in production (an external API key; provide it from Ansible Vault)"
        elif _PLACEHOLDER.search(value.strip()):
            problem = "is a placeholder (YOUR_..., ..._HERE, changeme, placeholder, example, dummy), not a key"
        elif re.search(r"\s", value):
            problem = "contains whitespace, which no API key does"
        elif len(value) < minimum:
            problem = f"is shorter than {minimum} characters (secrets_external_key_min_length), so not a real key"
        else:
            continue
        errors.append(f"{var}: {problem}")
    return errors


class FilterModule:
    def filters(self):
        return {
            "secret_values": secret_values,
            "secret_writes": secret_writes,
            "external_key_errors": external_key_errors,
        }
