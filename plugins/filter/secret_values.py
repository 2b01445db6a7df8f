# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's most important rule: which value each key of the platform's Secrets gets on this run."""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError

_ALPHABET = string.ascii_letters + string.digits


def _kept(existing, secret, key):
    data = (existing.get(secret) or {}).get(key) or ""
    try:
        return base64.b64decode(data, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        # The message names the key only: the value may be a secret.
        raise AnsibleFilterError(f"secret_values: {secret}/{key} in the cluster is not base64 text") from exc


def secret_values(keys, provided, existing, rotate=(), rotate_secret="", length=48, placeholder="", stand_in=None):
    """Return Secret name -> key -> value for every key.

    A value provided (Ansible Vault in the inventory) wins; else the cluster's value (base64 data of the Secret found
    there) is kept, unless the key is being rotated (keys of rotate_secret named in rotate); else a new random value is
    generated: letters and digits, entry length or length characters, external keys prefixed with placeholder. With
    stand_in set (render mode) nothing is generated and the stand-in is used instead.
    """
    if isinstance(keys, (str, Mapping)) or not isinstance(keys, Sequence):
        raise AnsibleFilterError("secret_values: keys must be a list of {secret, key, var} dicts")
    if not isinstance(provided, Mapping) or not isinstance(existing, Mapping):
        raise AnsibleFilterError("secret_values: provided and existing must be dicts")
    values = {}
    for entry in keys:
        secret, key = entry["secret"], entry["key"]
        rotated = secret == rotate_secret and key in rotate
        value = provided.get(entry["var"]) or ("" if rotated else _kept(existing, secret, key))
        if not value:
            if stand_in is not None:
                value = stand_in
            else:
                size = int(entry.get("length") or length)
                prefix = placeholder if entry.get("external") else ""
                value = prefix + "".join(secrets.choice(_ALPHABET) for _index in range(size))
        values.setdefault(secret, {})[key] = value
    return values


class FilterModule:
    def filters(self):
        return {"secret_values": secret_values}
