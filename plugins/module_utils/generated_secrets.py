# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated Secret values written create-only (the logic of botcore.platform.generated_secrets).

A generated value is written only where the key does not exist yet: the Secret is created (POST, which fails when it
exists) or the key is added by a merge patch that carries the resourceVersion read (which fails when anyone wrote
since). On either failure the Secret is read again and every key that now exists keeps the value that won. A rotated
value is written whatever the key holds, with the same precondition. Two runs that race therefore end with one value
per key, and both learn it.
"""

from __future__ import annotations

import base64
import binascii

try:
    from kubernetes.dynamic.exceptions import ConflictError, DynamicApiError, NotFoundError
except ImportError:
    # AnsibleK8SModule reports the missing library before any API call; these only keep the except clauses valid.
    class DynamicApiError(Exception):
        pass

    class ConflictError(DynamicApiError):
        pass

    class NotFoundError(DynamicApiError):
        pass


# Reads and writes of one Secret before giving up: each retry follows another writer's write, which a lock makes rare.
ATTEMPTS = 10
MASK = "********"


class SecretError(Exception):
    """A Secret cannot be read or written; the message names it, never a value."""


class Raced(Exception):
    """Another writer wrote the Secret (or created it) between our read and our write: read it again."""


def encode(value):
    return base64.b64encode(value.encode()).decode()


def decode_data(secret, data):
    """The Secret's data as text; the error names the key only, since the value may be secret."""
    values = {}
    for key, raw in (data or {}).items():
        try:
            values[key] = base64.b64decode(raw or "", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise SecretError(f"{secret}/{key} in the cluster is not base64 text") from exc
    return values


def plan(live, create, replace):
    """(writes, values) for one Secret whose keys hold ``live`` (None: no Secret).

    ``create``: key -> generated value, written only where the key is missing or empty; a key that exists keeps its
    value. ``replace``: key -> rotated value, written unless the key holds it already. ``values`` is what every key of
    create and replace holds once the writes are done.
    """
    live = live or {}
    values = {key: live[key] if live.get(key) else value for key, value in create.items()}
    writes = {key: value for key, value in create.items() if not live.get(key)}
    for key, value in replace.items():
        values[key] = value
        if live.get(key) != value:
            writes[key] = value
    return writes, values


class Api:
    """The Secret and Namespace calls, on top of kubernetes.core's K8SClient (the dynamic client)."""

    def __init__(self, client, field_manager):
        self._secrets = client.resource("Secret", "v1")
        self._namespaces = client.resource("Namespace", "v1")
        self._manager = field_manager

    @staticmethod
    def _call(what, call, **kwargs):
        try:
            return call(**kwargs).to_dict()
        except ConflictError:
            raise Raced() from None
        except DynamicApiError as exc:
            if isinstance(exc, NotFoundError):
                raise
            raise SecretError(f"{what} failed: {exc.summary()}") from exc

    def get(self, name, namespace):
        try:
            return self._call(f"reading Secret {namespace}/{name}", self._secrets.get, name=name, namespace=namespace)
        except NotFoundError:
            return None

    def create(self, name, namespace, data):
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "data": data,
        }
        try:
            return self._call(
                f"creating Secret {namespace}/{name}",
                self._secrets.create,
                body=body,
                namespace=namespace,
                field_manager=self._manager,
            )
        except NotFoundError:
            # Its namespace does not exist yet (e.g. Grafana's, which this run's apply creates with its labels).
            self._call(
                f"creating Namespace {namespace}",
                self._namespaces.create,
                body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
                field_manager=self._manager,
            )
            raise Raced() from None

    def patch(self, live, data):
        meta = live["metadata"]
        body = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "data": data}
        try:
            return self._call(
                f"writing Secret {meta['namespace']}/{meta['name']}",
                self._secrets.patch,
                body=body,
                name=meta["name"],
                namespace=meta["namespace"],
                content_type="application/merge-patch+json",
                field_manager=self._manager,
            )
        except NotFoundError:
            raise Raced() from None  # deleted since we read it: create it again


def _masked(keys, new=()):
    """One line per key, values masked; a key given a new value says so."""
    return "".join(f"{key}: {MASK}{' (new value)' if key in new else ''}\n" for key in sorted(keys))


def ensure(api, item, check_mode):
    """Write one Secret's generated and rotated keys as described in ``plan``; return its result."""
    name, namespace = item["name"], item["namespace"]
    create, replace = item.get("create") or {}, item.get("replace") or {}
    for _attempt in range(ATTEMPTS):
        secret = api.get(name, namespace)
        live = None if secret is None else decode_data(f"{namespace}/{name}", secret.get("data"))
        writes, values = plan(live, create, replace)
        result = {
            "name": name,
            "namespace": namespace,
            "values": values,
            "created": sorted(key for key in writes if not (live or {}).get(key)),
            "kept": sorted(key for key in create if (live or {}).get(key)),
            "rotated": sorted(key for key in replace if key in writes),
            "diff": {
                "before_header": f"Secret {namespace}/{name}",
                "after_header": f"Secret {namespace}/{name}",
                "before": _masked(live or {}) if secret is not None else "",
                "after": _masked(set(live or {}) | set(writes), new=writes),
            },
        }
        if not writes or check_mode:
            return result
        data = {key: encode(value) for key, value in writes.items()}
        try:
            if secret is None:
                api.create(name, namespace, data)
            else:
                api.patch(secret, data)
        except Raced:
            continue  # someone wrote first: the keys they created keep their values
        return result
    raise SecretError(
        f"Secret {namespace}/{name} changed under each of {ATTEMPTS} writes: does a run without the lock write it?"
    )


def run(api, items, check_mode):
    """Every Secret of ``items``: the module's result."""
    results = [ensure(api, item, check_mode) for item in items]
    return {
        "changed": any(item["created"] or item["rotated"] for item in results),
        # Base64, as a Secret's data: Ansible masks every occurrence of a no_log input in a result, values included.
        "data": {item["name"]: {key: encode(value) for key, value in item["values"].items()} for item in results},
        "secrets": [
            {key: item[key] for key in ("name", "namespace", "created", "kept", "rotated")} for item in results
        ],
        "diff": [item["diff"] for item in results if item["diff"]["before"] != item["diff"]["after"]],
    }
